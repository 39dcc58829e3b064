using System.Formats.Tar;
using System.IO.Compression;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

/// <summary>LayerWriter's arguments and entries it cannot write, its counts, owners, media types and where blobs go.</summary>
public sealed class LayerWriterArgumentTests
{
    private static FileEntry File(string path, string text = "x") => FileEntry.Inline(path, System.Text.Encoding.ASCII.GetBytes(text), 0x1A4, "test");

    [Fact]
    public async Task BadArguments_AreRefused_BeforeAnythingIsCreated()
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var blobs = dir.File("blobs");

        await Assert.ThrowsAsync<ArgumentNullException>(() => writer.WriteAsync(null!, blobs, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>("blobDirectory", () => writer.WriteAsync([File("/a")], "", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>(() => writer.WriteAsync([File("/a")], null!, CancellationToken.None));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteAsync([File("/a")], blobs, cancelled.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/b"), File("/a")], blobs, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>(() => writer.MeasureAsync(null!, CancellationToken.None));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.MeasureAsync([File("/a")], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.MeasureAsync([], cancelled.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.MeasureAsync([File("/b"), File("/a")], CancellationToken.None));

        Assert.False(Directory.Exists(blobs));
    }

    [Fact]
    public void Options_Default_AndAnUnknownLevelIsRefused()
    {
        Assert.Equal(new LayerOptions(), new LayerWriter().Options);
        Assert.Equal(new LayerOptions(), new LayerWriter(null).Options);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LayerWriter(new LayerOptions { CompressionLevel = (CompressionLevel)42 }));
        Assert.StartsWith("unknown compression level", error.Message);
        var early = Assert.Throws<ArgumentOutOfRangeException>(() => new LayerWriter(new LayerOptions { ModificationTime = DateTimeOffset.UnixEpoch.AddSeconds(-1) }));
        Assert.StartsWith("the layer mtime cannot be before 1970-01-01T00:00:00Z", early.Message);
        Assert.Equal(DateTimeOffset.UnixEpoch, new LayerWriter(new LayerOptions { ModificationTime = DateTimeOffset.UnixEpoch }).Options.ModificationTime);
    }

    [Theory]
    [InlineData(LayerCompression.Gzip, "application/vnd.oci.image.layer.v1.tar+gzip")]
    [InlineData(LayerCompression.GzipFast, "application/vnd.oci.image.layer.v1.tar+gzip")]
    [InlineData(LayerCompression.Zstd, "application/vnd.oci.image.layer.v1.tar+zstd")]
    public async Task TheMediaType_FollowsTheCompression(LayerCompression compression, string mediaType)
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter(new LayerOptions { Compression = compression });

        var layer = await writer.WriteAsync([File("/a")], dir.Path, CancellationToken.None);

        Assert.Equal(mediaType, writer.MediaType);
        Assert.Equal(mediaType, layer.MediaType);
        Assert.Equal(new Descriptor(mediaType, layer.Digest, layer.Size), layer.ToDescriptor());
    }

    [Fact]
    public async Task EntriesThatCannotBeWritten_AreRefused_NamingThePath_AndLeaveNoFile()
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();
        var blobs = dir.File("blobs");

        var noTarget = await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync([FileEntry.Link("/l", "x", "test") with { LinkTarget = "" }], blobs, CancellationToken.None));
        var noContent = await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync([File("/f") with { Content = null, SourcePath = null }], blobs, CancellationToken.None));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync([File("/u") with { Kind = (EntryKind)99 }], blobs, CancellationToken.None));
        var root = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/")], blobs, CancellationToken.None));
        var unnormalized = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/a/../b")], blobs, CancellationToken.None));
        var order = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/b"), File("/a")], blobs, CancellationToken.None));
        var parent = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/d/a")], blobs, CancellationToken.None));

        Assert.StartsWith("the symlink '/l' has no target", noTarget.Message);
        Assert.StartsWith("the file '/f' has neither Content nor SourcePath", noContent.Message);
        Assert.StartsWith("'/u' has an unknown kind 99", unknown.Message);
        Assert.StartsWith("'/' is not a normalized absolute path below the root", root.Message);
        Assert.StartsWith("'/a/../b' is not a normalized absolute path below the root", unnormalized.Message);
        Assert.StartsWith("entries must be in strictly increasing ordinal order: '/a' follows '/b'", order.Message);
        Assert.StartsWith("the parent directory of '/d/a' must come before it", parent.Message);
        Assert.Empty(Directory.GetFiles(blobs));
    }

    [Fact]
    public async Task AFileBelowADirectoryEntry_IsAccepted_ButNotBelowAFileOrALink()
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();

        var layer = await writer.WriteAsync([FileEntry.Directory("/d", 0x1ED, "test"), File("/d/a")], dir.Path, CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/d"), File("/d/a")], dir.Path, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([FileEntry.Link("/d", "e", "test"), File("/d/a")], dir.Path, CancellationToken.None));

        Assert.Equal(2, layer.EntryCount);
    }

    [Fact]
    public async Task Counts_AreFilesEntriesAndContentBytes_TheSameMeasuredOrWritten()
    {
        using var dir = new TestDirectory();
        var source = dir.Write("source", new byte[700]);
        IReadOnlyList<FileEntry> entries =
        [
            FileEntry.Directory("/d", 0x1ED, "test"),
            File("/d/a", "12345"),
            FileEntry.HostFile("/d/b", source, 0x1ED, "test"),
            FileEntry.Link("/d/c", "a", "test"),
            File("/d/e", ""),
        ];
        var writer = new LayerWriter();

        var measured = await writer.MeasureAsync(entries, CancellationToken.None);
        var layer = await writer.WriteAsync(entries, dir.File("nested/blobs"), CancellationToken.None);

        Assert.Equal((3, 5, 705L), (measured.FileCount, measured.EntryCount, measured.ContentSize));
        Assert.Equal((3, 5, 705L), (layer.FileCount, layer.EntryCount, layer.ContentSize));
        Assert.Equal((measured.DiffId, measured.UncompressedSize), (layer.DiffId, layer.UncompressedSize));
        Assert.Equal(dir.File("nested/blobs"), Path.GetDirectoryName(layer.BlobPath));
        Assert.Matches(@"^\.tinyimage-layer-[a-z0-9]{8}\.[a-z0-9]{3}\.tmp$", Path.GetFileName(layer.BlobPath));
    }

    [Fact]
    public async Task AnEntrysOwnUidAndGid_AreKept()
    {
        using var dir = new TestDirectory();
        IReadOnlyList<FileEntry> entries =
        [
            FileEntry.Directory("/home", 0x1ED, "test"),
            FileEntry.Directory("/home/app", 0x1C0, "test") with { Uid = 1000, Gid = 1001 },
            File("/home/app/x") with { Uid = 7, Gid = 8 },
            FileEntry.Link("/home/app/y", "x", "test") with { Uid = 9, Gid = 10 },
        ];

        var layer = await new LayerWriter().WriteAsync(entries, dir.Path, CancellationToken.None);

        var read = TarInspection.ReadEntries(TarInspection.Gunzip(layer.BlobPath)).Select(r => r.Entry).ToList();
        Assert.Equal([(0, 0), (1000, 1001), (7, 8), (9, 10)], read.Select(e => (e.Uid, e.Gid)).ToList());
        Assert.Equal(TarEntryType.SymbolicLink, read[3].EntryType);
        Assert.Equal("x", read[3].LinkName);
    }
}
