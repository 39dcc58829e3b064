using System.Buffers;
using System.Buffers.Binary;
using ICSharpCode.SharpZipLib.Checksum;
using TinyImage.Core.Layers;

namespace TinyImage.Tests.Layers;

public sealed class PinnedGzipStreamTests
{
    /// <summary>Compressible text and a stretch of incompressible bytes, about 200 KB.</summary>
    private static byte[] Input()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 9000).Select(i => FormattableString.Invariant($"{i} {i * 31 % 977}\n"))));
        var noise = new byte[100_000];
        uint state = 2463534242;
        for (var i = 0; i < noise.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            noise[i] = (byte)state;
        }
        return [.. text, .. noise, .. text];
    }

    private static byte[] Compress(byte[] input, int level, Action<PinnedGzipStream, byte[]> write)
    {
        var output = new MemoryStream();
        using (var gzip = new PinnedGzipStream(output, level)) write(gzip, input);
        return output.ToArray();
    }

    private static byte[] CompressAtOnce(byte[] input, int level = 4) => Compress(input, level, (gzip, bytes) => gzip.Write(bytes, 0, bytes.Length));

    [Theory]
    [InlineData(0, 4)]
    [InlineData(1, 4)]
    [InlineData(2, 0)]
    [InlineData(4, 0)]
    [InlineData(8, 0)]
    [InlineData(9, 2)]
    public void Header_IsFixed_NoTimeNoNameUnix_WithZlibsExtraFlagsForTheLevel(int level, byte extraFlags)
    {
        var blob = CompressAtOnce(Input(), level);

        Assert.Equal(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3 }, blob[..10]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void Output_DecompressesToTheInput_AndItsTrailerHoldsTheCrcAndSize(int level)
    {
        var input = Input();

        var blob = CompressAtOnce(input, level);

        Assert.Equal(input, PinnedGzipTests.GunzipWithSharpZipLib(blob));
        Assert.Equal(input, PinnedGzipTests.GunzipWithRuntime(blob));
        var crc = new Crc32();
        crc.Update(input);
        Assert.Equal((uint)crc.Value, BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(blob.Length - 8)));
        Assert.Equal((uint)input.Length, BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(blob.Length - 4)));
    }

    [Fact]
    public void LevelZero_StoresTheBytes()
    {
        var input = Input();

        var stored = CompressAtOnce(input, 0);

        Assert.True(stored.Length > input.Length, $"stored: {stored.Length} for {input.Length}");
        Assert.True(CompressAtOnce(input, 1).Length < input.Length);
        Assert.Equal(input, PinnedGzipTests.GunzipWithRuntime(stored));
    }

    [Fact]
    public void EmptyInput_IsAValidGzipOfNothing_AsZlibWritesIt()
    {
        var none = CompressAtOnce([]);
        var zeroLengthWrite = Compress([], 4, (gzip, _) => gzip.Write([], 0, 0));

        // header, zlib's empty final block (03 00), CRC-32 0, size 0
        Assert.Equal(Convert.FromHexString("1f8b0800000000000003" + "0300" + "0000000000000000"), none);
        Assert.Equal(none, zeroLengthWrite);
        Assert.Empty(PinnedGzipTests.GunzipWithSharpZipLib(none));
        Assert.Empty(PinnedGzipTests.GunzipWithRuntime(none));
    }

    [Fact]
    public async Task TheBytes_DoNotDependOnHowTheInputIsSplitIntoWrites()
    {
        // The tar writer's chunking is the runtime's (System.Formats.Tar); the blob must not depend on it.
        var input = Input();
        var expected = CompressAtOnce(input);

        var byBytes = Compress(input, 4, (gzip, bytes) => { foreach (var b in bytes) gzip.WriteByte(b); });
        var bySpans = Compress(input, 4, (gzip, bytes) =>
        {
            for (var offset = 0; offset < bytes.Length; offset += 777) gzip.Write(bytes.AsSpan(offset, Math.Min(777, bytes.Length - offset)));
        });
        var output = new MemoryStream();
        await using (var gzip = new PinnedGzipStream(output, 4))
        {
            // Array segments, then memory that is not an array.
            await gzip.WriteAsync(input, 0, 512);
            await gzip.WriteAsync(input.AsMemory(512, 70_000));
            using var native = new NativeMemory(input[70_512..]);
            await gzip.WriteAsync(native.Memory);
        }

        Assert.Equal(expected, byBytes);
        Assert.Equal(expected, bySpans);
        Assert.Equal(expected, output.ToArray());
    }

    [Fact]
    public void Dispose_FinishesTheMemberOnce_AndLeavesTheDestinationOpen()
    {
        var output = new MemoryStream();
        var gzip = new PinnedGzipStream(output, 4);
        gzip.Write([1, 2, 3]);
        Assert.True(gzip.CanWrite);

        gzip.Dispose();
        var length = output.Length;
        gzip.Dispose();

        Assert.Equal(length, output.Length);
        Assert.False(gzip.CanWrite);
        Assert.Throws<ObjectDisposedException>(() => gzip.Write([4]));
        output.WriteByte(0); // still open
        Assert.Equal(new byte[] { 1, 2, 3 }, PinnedGzipTests.GunzipWithRuntime(output.ToArray()[..(int)length]));
    }

    [Fact]
    public void ItIsAWriteOnlyForwardStream()
    {
        using var gzip = new PinnedGzipStream(new MemoryStream(), 4);

        Assert.False(gzip.CanRead);
        Assert.False(gzip.CanSeek);
        Assert.Throws<NotSupportedException>(() => gzip.Length);
        Assert.Throws<NotSupportedException>(() => gzip.Position);
        Assert.Throws<NotSupportedException>(() => gzip.Position = 0);
        Assert.Throws<NotSupportedException>(() => gzip.Read(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => gzip.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => gzip.SetLength(0));
    }

    [Fact]
    public void BadArguments_AreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => new PinnedGzipStream(null!, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PinnedGzipStream(new MemoryStream(), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PinnedGzipStream(new MemoryStream(), 10));
        using var gzip = new PinnedGzipStream(new MemoryStream(), 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => gzip.Write(new byte[4], 2, 3));
    }

    [Fact]
    public async Task ACancelledWrite_WritesNothing()
    {
        var output = new MemoryStream();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await using (var gzip = new PinnedGzipStream(output, 4))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gzip.WriteAsync(new byte[] { 1 }, 0, 1, cancelled.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gzip.WriteAsync(new byte[] { 1 }.AsMemory(), cancelled.Token).AsTask());
        }

        Assert.Empty(PinnedGzipTests.GunzipWithRuntime(output.ToArray()));
    }

    /// <summary>Memory that is not backed by an array (MemoryMarshal.TryGetArray fails on it).</summary>
    private sealed class NativeMemory(byte[] content) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => content;
        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
