using TinyImage.Core;
using TinyImage.Core.Layers;

namespace TinyImage.Tests.Layers;

public sealed class SourceFileStreamTests
{
    private static readonly byte[] Content = Enumerable.Range(0, 3000).Select(i => (byte)(i % 251)).ToArray();

    /// <summary>How many of this process's open file descriptors point at <paramref name="path"/>.</summary>
    private static int OpenDescriptors(string path) =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(fd => fd.LinkTarget == path);

    [Fact]
    public void AMissingFile_IsAUserError_NamingTheFileAndItsPlaceInTheImage()
    {
        using var dir = new TestDirectory();

        var error = Assert.Throws<TinyImageException>(() => SourceFileStream.Open(dir.File("missing"), "/usr/bin/missing", 0));

        Assert.Equal($"cannot read '{dir.File("missing")}' for '/usr/bin/missing' in the image: {dir.File("missing")}: no such file; check the path", error.Message);
    }

    [Fact]
    public void ADirectory_IsRefusedWithOneLine()
    {
        using var dir = new TestDirectory();

        var error = Assert.Throws<TinyImageException>(() => SourceFileStream.Open(dir.Path, "/srv", 0));

        Assert.StartsWith($"cannot read '{dir.Path}' for '/srv' in the image: {dir.Path}: is a directory", error.Message);
    }

    [Fact]
    public async Task ItReadsTheWholeFile_SyncAndAsync_AndReportsItsLengthAndPosition()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("f", Content);
        await using var stream = SourceFileStream.Open(path, "/f", 0);

        Assert.Equal((true, true, false), (stream.CanRead, stream.CanSeek, stream.CanWrite));
        Assert.Equal(Content.Length, stream.Length);
        var copy = new byte[Content.Length + 10];
        var total = stream.Read(copy, 0, 1000);
        Assert.Equal(1000, stream.Position);
        total += stream.Read(copy.AsSpan(total, 500));
        total += await stream.ReadAsync(copy, total, 700);
        int read;
        while ((read = await stream.ReadAsync(copy.AsMemory(total))) > 0) total += read;

        Assert.Equal(Content, copy[..total]);
        Assert.Equal(Content.Length, stream.Position);
        Assert.Equal(0, stream.Read(copy, 0, 10));
        Assert.Equal(0, stream.Read(Span<byte>.Empty));
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
    }

    [Fact]
    public async Task AFileThatGrows_IsReported_WhenReadAsynchronously()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("growing", Content);
        await using var stream = SourceFileStream.Open(path, "/growing", 0);
        await File.AppendAllTextAsync(path, "more");

        var error = await Assert.ThrowsAsync<TinyImageException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal($"'{path}' (for '/growing' in the image) grew beyond 3000 bytes while it was read; do not change input files during a build.", error.Message);
    }

    [Fact]
    public async Task AFileThatShrinks_IsReported_WhenReadAsynchronously()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("shrinking", Content);
        await using var stream = SourceFileStream.Open(path, "/shrinking", 0);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(10);

        var error = await Assert.ThrowsAsync<TinyImageException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal($"'{path}' (for '/shrinking' in the image) shrank from 3000 to 10 bytes while it was read; do not change input files during a build.", error.Message);
    }

    [Fact]
    public async Task AnEmptyReadAtTheEnd_DoesNotLookForMoreBytes()
    {
        // A zero-length read at the end must not read ahead, so it reports no growth even when the file grew.
        using var dir = new TestDirectory();
        var path = dir.Write("f", Content);
        using var stream = SourceFileStream.Open(path, "/f", 0);
        stream.CopyTo(Stream.Null);
        File.AppendAllText(path, "more");

        Assert.Equal(0, stream.Read(Span<byte>.Empty));
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Throws<TinyImageException>(() => stream.Read(new byte[1], 0, 1));
    }

    [Fact]
    public void ItCannotWriteOrSeek()
    {
        using var dir = new TestDirectory();
        using var stream = SourceFileStream.Open(dir.Write("f", Content), "/f", 0);

        Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(0));
        Assert.Throws<NotSupportedException>(() => stream.Position = 0);
        stream.Flush(); // a no-op, as for any read-only stream
    }

    [Fact]
    public async Task DisposingIt_ClosesTheFile_SyncAndAsync()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("f", Content);

        var stream = SourceFileStream.Open(path, "/f", 0);
        Assert.Equal(1, OpenDescriptors(path));
        stream.Dispose();
        Assert.Equal(0, OpenDescriptors(path));

        var asyncStream = SourceFileStream.Open(path, "/f", 0);
        Assert.Equal(1, OpenDescriptors(path));
        await asyncStream.DisposeAsync();
        Assert.Equal(0, OpenDescriptors(path));
    }
}
