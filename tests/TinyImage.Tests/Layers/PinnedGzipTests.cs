using System.IO.Compression;
using ICSharpCode.SharpZipLib.GZip;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

/// <summary>
/// The default gzip is pinned: its bytes depend only on the TinyImage version (SharpCompress's managed deflate), never on
/// the .NET runtime. Only one runtime is installed here, so the pin is shown by committed golden digests of a fixed
/// layer; SharpZipLib's and the runtime's inflaters read the blobs back independently.
/// </summary>
public sealed class PinnedGzipTests
{
    private static readonly DateTimeOffset FixedTime = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    /// <summary>The tar these golden values are of; fails if the tar writer changes.</summary>
    private const string GoldenDiffId = "sha256:1be80deed6a120b50ef1c2a880b0784e9b62311bd8d1a6aa61f261c3c520039b";

    /// <summary>
    /// A fixed layer: directories, a setuid program, text, incompressible bytes and a symlink, every byte computed here
    /// (no System.Random, whose sequence is the runtime's), about 400 KB of tar: several deflate blocks, more than a window.
    /// </summary>
    internal static IReadOnlyList<FileEntry> GoldenEntries()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(
            Enumerable.Range(0, 8000).Select(i => FormattableString.Invariant($"line {i}: {i * i % 9973} {(i % 7 == 0 ? "seven" : "other")}\n"))));
        var program = Enumerable.Range(0, 120_000).Select(i => (byte)(i * 7 % 251 ^ i / 1000)).ToArray();
        var noise = new byte[64 * 1024];
        var state = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < noise.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            noise[i] = (byte)state;
        }
        return
        [
            FileEntry.Directory("/etc", 0x1ED /* 0755 */, "golden"),
            FileEntry.Inline("/etc/words.txt", text, 0x1A4 /* 0644 */, "golden"),
            FileEntry.Directory("/tmp", 0x3FF /* 01777 */, "golden"),
            FileEntry.Directory("/usr", 0x1ED, "golden"),
            FileEntry.Directory("/usr/bin", 0x1ED, "golden"),
            FileEntry.Inline("/usr/bin/tool", program, 0x9ED /* 04755 */, "golden"),
            FileEntry.Directory("/usr/lib", 0x1ED, "golden"),
            FileEntry.Link("/usr/lib/libnoise.so.1", "libnoise.so.1.2", "golden"),
            FileEntry.Inline("/usr/lib/libnoise.so.1.2", noise, 0x1A4, "golden"),
        ];
    }

    [Theory]
    [InlineData(CompressionLevel.Optimal, "sha256:665364c3158fb780c23d3cfa1ffc0c51d8467b8778e708b817c4b6a5f7ea0c46", 130429L)]
    [InlineData(CompressionLevel.Fastest, "sha256:349becf80b913587caa72a7525298908d7ba1e1c13c2b425bf1baa600b3903b0", 135117L)]
    [InlineData(CompressionLevel.SmallestSize, "sha256:afd7060fdd80fd3756ede826bb223537463500d8e7a885dcd6b80ad0a6fc7ff2", 127716L)]
    public async Task GoldenLayer_DefaultGzip_HasTheCommittedDigestAndDiffId(CompressionLevel level, string digest, long size)
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter(new LayerOptions { ModificationTime = FixedTime, CompressionLevel = level });

        var layer = await writer.WriteAsync(GoldenEntries(), dir.Path, CancellationToken.None);

        Assert.Equal(GoldenDiffId, layer.DiffId.ToString());
        Assert.Equal((digest, size), (layer.Digest.ToString(), layer.Size));
        Assert.Equal(MediaTypes.LayerGzip, layer.MediaType);
    }

    [Theory]
    [InlineData(CompressionLevel.Optimal)]
    [InlineData(CompressionLevel.Fastest)]
    [InlineData(CompressionLevel.SmallestSize)]
    public async Task DefaultGzip_DecompressesToItsTar_WithSharpZipLibAndTheRuntime(CompressionLevel level)
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter(new LayerOptions { ModificationTime = FixedTime, CompressionLevel = level });

        var layer = await writer.WriteAsync(GoldenEntries(), dir.Path, CancellationToken.None);

        var blob = File.ReadAllBytes(layer.BlobPath);
        Assert.Equal(layer.Digest, Digest.Compute(blob));
        Assert.Equal(layer.Size, blob.Length);
        // SharpZipLib checks the trailer's CRC-32 and size as it reads.
        foreach (var tar in new[] { GunzipWithSharpZipLib(blob), GunzipWithRuntime(blob) })
        {
            Assert.Equal(layer.UncompressedSize, tar.Length);
            Assert.Equal(layer.DiffId, Digest.Compute(tar));
        }
    }

    [Fact]
    public async Task GzipFast_IsAnotherDeflate_OfTheSameTar()
    {
        using var dir = new TestDirectory();
        var fast = await new LayerWriter(new LayerOptions { ModificationTime = FixedTime, Compression = LayerCompression.GzipFast })
            .WriteAsync(GoldenEntries(), dir.File("fast"), CancellationToken.None);
        var pinned = await new LayerWriter(new LayerOptions { ModificationTime = FixedTime })
            .WriteAsync(GoldenEntries(), dir.File("pinned"), CancellationToken.None);

        // (Not compared with a GZipStream of the tar: zlib-ng's bytes depend on how the input is split into writes.)
        Assert.Equal(fast.DiffId, Digest.Compute(GunzipWithSharpZipLib(File.ReadAllBytes(fast.BlobPath))));
        Assert.Equal(MediaTypes.LayerGzip, fast.MediaType);
        Assert.Equal(pinned.DiffId, fast.DiffId);
        Assert.NotEqual(pinned.Digest, fast.Digest);
    }

    [Fact]
    public void CompressorNames_NameTheDeflateAndItsVersion_SoTheCacheKeepsTheirBlobsApart()
    {
        var sharpCompress = typeof(SharpCompress.Compressors.Deflate.DeflateStream).Assembly.GetName().Version;
        var zstdNet = typeof(ZstdNet.CompressionStream).Assembly.GetName().Version;

        Assert.Equal($"gzip-4-sharpcompress{sharpCompress}", new LayerOptions().CompressorName);
        Assert.Equal($"gzip-1-sharpcompress{sharpCompress}", new LayerOptions { CompressionLevel = CompressionLevel.Fastest }.CompressorName);
        Assert.Equal($"gzip-9-sharpcompress{sharpCompress}", new LayerOptions { CompressionLevel = CompressionLevel.SmallestSize }.CompressorName);
        Assert.Equal($"gzip-0-sharpcompress{sharpCompress}", new LayerOptions { CompressionLevel = CompressionLevel.NoCompression }.CompressorName);
        Assert.Equal($"gzip-optimal-dotnet{Environment.Version}", new LayerOptions { Compression = LayerCompression.GzipFast }.CompressorName);
        Assert.Equal($"gzip-smallestsize-dotnet{Environment.Version}",
            new LayerOptions { Compression = LayerCompression.GzipFast, CompressionLevel = CompressionLevel.SmallestSize }.CompressorName);
        Assert.Equal($"zstd-3-zstdnet{zstdNet}", new LayerOptions { Compression = LayerCompression.Zstd }.CompressorName);
        Assert.Equal($"zstd-1-zstdnet{zstdNet}", new LayerOptions { Compression = LayerCompression.Zstd, CompressionLevel = CompressionLevel.Fastest }.CompressorName);
        Assert.Equal($"zstd-19-zstdnet{zstdNet}", new LayerOptions { Compression = LayerCompression.Zstd, CompressionLevel = CompressionLevel.SmallestSize }.CompressorName);
        Assert.Equal($"zstd-1-zstdnet{zstdNet}", new LayerOptions { Compression = LayerCompression.Zstd, CompressionLevel = CompressionLevel.NoCompression }.CompressorName);
    }

    internal static byte[] GunzipWithSharpZipLib(byte[] blob)
    {
        using var gzip = new GZipInputStream(new MemoryStream(blob));
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    internal static byte[] GunzipWithRuntime(byte[] blob)
    {
        using var gzip = new GZipStream(new MemoryStream(blob), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
