using System.Security.Cryptography;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

public sealed class HashingStreamTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 5000).Select(i => (byte)(i * 13 % 256)).ToArray();

    private static Digest Sha256(ReadOnlySpan<byte> bytes) => Digest.FromHash(SHA256.HashData(bytes));

    [Fact]
    public async Task EveryWayOfWriting_PassesTheBytesOn_HashesAndCountsThem()
    {
        var inner = new MemoryStream();
        using var hashing = new HashingStream(inner);

        hashing.Write(Data, 0, 1000);
        hashing.Write(Data.AsSpan(1000, 1000));
        await hashing.WriteAsync(Data, 2000, 1000);
        await hashing.WriteAsync(Data.AsMemory(3000, 1999));
        hashing.WriteByte(Data[4999]);

        Assert.Equal(Data, inner.ToArray());
        Assert.Equal(Data.Length, hashing.BytesHashed);
        Assert.Equal(Sha256(Data), hashing.GetDigest());
    }

    [Fact]
    public async Task EveryWayOfReading_HashesAndCountsOnlyTheBytesRead()
    {
        using var hashing = new HashingStream(new MemoryStream(Data, writable: false));
        var copy = new byte[Data.Length + 100]; // the last reads ask for more than is left

        var total = hashing.Read(copy, 0, 1000);
        total += hashing.Read(copy.AsSpan(total, 1000));
        total += await hashing.ReadAsync(copy, total, 1000);
        int read;
        while ((read = await hashing.ReadAsync(copy.AsMemory(total))) > 0) total += read;
        Assert.Equal(0, hashing.Read(copy, total, 100));
        Assert.Equal(0, hashing.Read(copy.AsSpan(total)));
        Assert.Equal(0, await hashing.ReadAsync(copy, total, 100));

        Assert.Equal(Data.Length, total);
        Assert.Equal(Data, copy[..total]);
        Assert.Equal(Data.Length, hashing.BytesHashed);
        Assert.Equal(Sha256(Data), hashing.GetDigest());
    }

    [Fact]
    public void CanReadAndCanWrite_AreTheInnerStreams_ItNeverSeeks()
    {
        using var readOnly = new HashingStream(new MemoryStream(Data, writable: false));
        using var writeOnly = new HashingStream(new FileStream("/dev/null", FileMode.Open, FileAccess.Write));

        Assert.Equal((true, false, false), (readOnly.CanRead, readOnly.CanWrite, readOnly.CanSeek));
        Assert.Equal((false, true, false), (writeOnly.CanRead, writeOnly.CanWrite, writeOnly.CanSeek));
        Assert.Throws<NotSupportedException>(() => readOnly.Length);
        Assert.Throws<NotSupportedException>(() => readOnly.Position);
        Assert.Throws<NotSupportedException>(() => readOnly.Position = 0);
        Assert.Throws<NotSupportedException>(() => readOnly.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => readOnly.SetLength(0));
    }

    [Fact]
    public async Task Flushes_ReachTheInnerStream_AndDisposingLeavesItOpen()
    {
        var inner = new FlushCounter();
        var hashing = new HashingStream(inner);

        hashing.Flush();
        await hashing.FlushAsync();
        hashing.Dispose();

        Assert.Equal(2, inner.Flushes);
        Assert.Throws<ObjectDisposedException>(() => hashing.GetDigest()); // the hash is released
        inner.WriteByte(1); // still open
        Assert.Equal(1, inner.Length);
    }

    [Fact]
    public void NothingWritten_IsTheDigestOfNothing()
    {
        using var hashing = new HashingStream(new MemoryStream());

        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hashing.GetDigest().ToString());
        Assert.Equal(0, hashing.BytesHashed);
    }

    private sealed class FlushCounter : MemoryStream
    {
        public int Flushes { get; private set; }

        public override void Flush()
        {
            Flushes++;
            base.Flush();
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            return Task.CompletedTask;
        }
    }
}
