using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;

// Usage: DeflateBench RUNS FILE...
// For each file (read into memory first, so only the compressor is timed), each deflate compresses it RUNS
// times into a counting sink, in 64 KiB writes as the tar writer gives them; prints the median MB/s (input bytes per second)
// and the compressed size, and checks once that the runtime's inflater gives the input back.
var runs = int.Parse(args[0], CultureInfo.InvariantCulture);
var deflates = new List<(string Name, Func<Stream, Stream> Open)>
{
    ("runtime zlib-ng, Fastest", s => new DeflateStream(s, CompressionLevel.Fastest, leaveOpen: true)),
    ("runtime zlib-ng, Optimal (level 6, today's gzip)", s => new DeflateStream(s, CompressionLevel.Optimal, leaveOpen: true)),
};
foreach (var level in new[] { 1, 4, 6 })
    deflates.Add(($"SharpZipLib 1.4.2 Deflater, level {level}", s => new ICSharpCode.SharpZipLib.Zip.Compression.Streams.DeflaterOutputStream(
        s, new ICSharpCode.SharpZipLib.Zip.Compression.Deflater(level, noZlibHeaderOrFooter: true), 64 * 1024) { IsStreamOwner = false }));
foreach (var level in new[] { 1, 4, 6 })
    // leaveOpen: true loses the last block (0.50.8 does not finish the stream on Dispose then): close a wrapper instead.
    deflates.Add(($"SharpCompress 0.50.8 DeflateStream, level {level}", s => new SharpCompress.Compressors.Deflate.DeflateStream(
        new KeepOpen(s), SharpCompress.Compressors.CompressionMode.Compress, (SharpCompress.Compressors.Deflate.CompressionLevel)level,
        leaveOpen: false, forceEncoding: null!)));
Console.WriteLine($"| input | MB | deflate | median MB/s | compressed bytes | ratio |");
Console.WriteLine($"|---|---|---|---|---|---|");
foreach (var path in args.Skip(1))
{
    var input = File.ReadAllBytes(path);
    foreach (var (name, open) in deflates)
    {
        var seconds = new List<double>();
        long size = 0;
        for (var run = 0; run < runs + 1; run++)
        {
            var sink = new MemoryStream(input.Length);
            var watch = Stopwatch.StartNew();
            using (var deflate = open(sink))
                for (var offset = 0; offset < input.Length; offset += 64 * 1024)
                    deflate.Write(input, offset, Math.Min(64 * 1024, input.Length - offset));
            watch.Stop();
            if (run == 0)
            {
                // warm-up run: also the round-trip check
                sink.Position = 0;
                using var inflate = new DeflateStream(sink, CompressionMode.Decompress);
                using var back = new MemoryStream();
                inflate.CopyTo(back);
                if (!SHA256.HashData(back.ToArray()).AsSpan().SequenceEqual(SHA256.HashData(input)))
                    throw new InvalidOperationException($"{name} did not round-trip {path}");
                continue;
            }
            size = sink.Length;
            seconds.Add(watch.Elapsed.TotalSeconds);
        }
        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {Path.GetFileName(path)} | {input.Length / 1e6:F1} | {name} | {input.Length / 1e6 / median:F1} | {size} | {(double)size / input.Length:P1} |"));
    }
}

/// <summary>Passes writes on and ignores Dispose, so a compressor that must close its destination leaves it open.</summary>
internal sealed class KeepOpen(Stream inner) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
}
