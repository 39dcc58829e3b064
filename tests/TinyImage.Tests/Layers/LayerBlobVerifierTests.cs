using System.IO.Compression;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

/// <summary>What a layer-cache hit must be: exactly the blob recorded and exactly the tar its key names.</summary>
public sealed class LayerBlobVerifierTests
{
    private static readonly byte[] Tar = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 97 ^ i / 4096)).ToArray();

    private static LayerContent ContentOf(byte[] tar) => new()
    {
        DiffId = Digest.Compute(tar),
        UncompressedSize = tar.Length,
        FileCount = 1,
        EntryCount = 1,
        ContentSize = tar.Length,
    };

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new PinnedGzipStream(output, 4)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] Zstd(byte[] data)
    {
        var output = new MemoryStream();
        using (var zstd = new ZstdNet.CompressionStream(output)) zstd.Write(data);
        return output.ToArray();
    }

    private static Task<bool> Matches(byte[] blob, LayerCompression compression, Digest digest, LayerContent content) =>
        LayerBlobVerifier.MatchesAsync(new MemoryStream(blob), compression, digest, content, CancellationToken.None);

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.GzipFast)]
    [InlineData(LayerCompression.Zstd)]
    public async Task TheRightBlob_Matches(LayerCompression compression)
    {
        var blob = compression == LayerCompression.Zstd ? Zstd(Tar) : Gzip(Tar);

        Assert.True(await Matches(blob, compression, Digest.Compute(blob), ContentOf(Tar)));
    }

    [Fact]
    public async Task AnotherDigest_DoesNotMatch()
    {
        var blob = Gzip(Tar);

        Assert.False(await Matches(blob, LayerCompression.Gzip, Digest.Compute(Tar), ContentOf(Tar)));
    }

    [Fact]
    public async Task AnotherTarOfTheSameSize_DoesNotMatch()
    {
        var other = Tar.ToArray();
        other[^1] ^= 1;
        var blob = Gzip(other);

        Assert.False(await Matches(blob, LayerCompression.Gzip, Digest.Compute(blob), ContentOf(Tar)));
    }

    [Fact]
    public async Task AShorterTar_DoesNotMatch_EvenWithTheExpectedDiffId()
    {
        // The size is checked on its own: a blob of the first half, against a key claiming that half's digest but the whole size.
        var half = Tar[..(Tar.Length / 2)];
        var blob = Gzip(half);

        Assert.False(await Matches(blob, LayerCompression.Gzip, Digest.Compute(blob), ContentOf(half) with { UncompressedSize = Tar.Length }));
    }

    [Fact]
    public async Task ALongerTar_StopsDecompressingPastTheExpectedSize_AndDoesNotMatch()
    {
        // A "zip bomb": 64 MiB of zeros in a 64 KB blob, against a key of 200 KB; reading stops at the first buffer past it.
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal)) gzip.Write(new byte[64 << 20]);
        var blob = output.ToArray();
        var counting = new CountingStream(new MemoryStream(blob));

        var matches = await LayerBlobVerifier.MatchesAsync(counting, LayerCompression.Gzip, Digest.Compute(blob), ContentOf(Tar), CancellationToken.None);

        Assert.False(matches);
        Assert.True(counting.BytesRead < blob.Length / 4, $"read {counting.BytesRead} of {blob.Length} compressed bytes");
    }

    [Fact]
    public async Task TheSameTarFollowedByMore_DoesNotMatch()
    {
        var blob = Gzip([.. Tar, .. new byte[512]]);

        Assert.False(await Matches(blob, LayerCompression.Gzip, Digest.Compute(blob), ContentOf(Tar)));
    }

    [Fact]
    public async Task BytesAfterTheCompressedStream_ArePartOfTheBlobsDigest()
    {
        // The digest file is of the whole blob; a blob with something after its gzip member is not the blob written.
        var written = Gzip(Tar);
        var blob = (byte[])[.. written, 0, 0, 0, 0];

        Assert.False(await Matches(blob, LayerCompression.Gzip, Digest.Compute(written), ContentOf(Tar)));
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task NotACompressedStream_DoesNotMatch_WithoutAnError(LayerCompression compression)
    {
        var blob = Enumerable.Range(0, 5000).Select(i => (byte)(i * 31)).ToArray();

        Assert.False(await Matches(blob, compression, Digest.Compute(blob), ContentOf(Tar)));
    }

    [Fact]
    public async Task AGzipBlob_ReadAsZstd_DoesNotMatch()
    {
        var blob = Gzip(Tar);

        Assert.False(await Matches(blob, LayerCompression.Zstd, Digest.Compute(blob), ContentOf(Tar)));
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
