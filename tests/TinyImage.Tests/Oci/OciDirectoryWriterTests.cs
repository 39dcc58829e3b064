using TinyImage.Core.Sources;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Oci;

public sealed class OciDirectoryWriterTests
{
    private static IReadOnlyList<FileEntry> Entries(string text)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Inline("/etc/motd", System.Text.Encoding.UTF8.GetBytes(text), 0x1A4, "test"));
        return tree.Entries();
    }

    private static Task<BuiltImage> BuildAsync(string output, ImageFormat format, string text = "hi") =>
        new ImagePipeline(new ImagePipelineOptions { Format = format })
            .BuildAsync(Entries(text), new ImageConfig(), "amd64", ImageReference.Parse("motd:v1"), output, CancellationToken.None);

    [Fact]
    public async Task TheDirectory_HoldsTheSameFilesAsTheTar_AndTheSameDigest()
    {
        using var dir = new TestDirectory();
        var tar = await BuildAsync(dir.File("image.tar"), ImageFormat.Archive);
        var layout = await BuildAsync(dir.File("layout"), ImageFormat.OciDirectory);

        Assert.Equal(tar.ManifestDigest, layout.ManifestDigest);
        var inTar = TarInspection.ReadEntries(File.ReadAllBytes(tar.OutputPath))
            .Where(e => e.Entry.EntryType == System.Formats.Tar.TarEntryType.RegularFile)
            .ToDictionary(e => e.Entry.Name, e => e.Data);
        var inDirectory = Directory.GetFiles(layout.OutputPath, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(layout.OutputPath, p), File.ReadAllBytes);
        Assert.Equal(inTar.Keys.Order(), inDirectory.Keys.Order());
        foreach (var (name, data) in inTar) Assert.Equal(data, inDirectory[name]);
        Assert.Equal(["layout"], Directory.GetFileSystemEntries(dir.Path, "layout*").Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path, ".*"));
    }

    [Fact]
    public async Task ARebuild_ReplacesAnOlderLayout_WithNoOldBlobsLeft()
    {
        using var dir = new TestDirectory();
        var first = await BuildAsync(dir.File("layout"), ImageFormat.OciDirectory, "one");
        var second = await BuildAsync(dir.File("layout"), ImageFormat.OciDirectory, "two");
        Assert.NotEqual(first.ManifestDigest, second.ManifestDigest);
        Assert.False(File.Exists(Path.Combine(second.OutputPath, ImageDocuments.BlobPath(first.ManifestDigest))));
        Assert.True(File.Exists(Path.Combine(second.OutputPath, ImageDocuments.BlobPath(second.ManifestDigest))));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path, ".*"));
    }

    [Fact]
    public async Task ADirectoryThatIsNotALayout_IsNeverReplaced()
    {
        using var dir = new TestDirectory();
        dir.Write("precious/data.txt", [1, 2, 3]);
        var e = await Assert.ThrowsAsync<TinyImageException>(() => BuildAsync(dir.File("precious"), ImageFormat.OciDirectory));
        Assert.Contains("not an OCI image layout", e.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(dir.File("precious/data.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path, ".*"));
    }

    [Fact]
    public async Task ImageLayoutReader_ReadsTheTaggedManifest_FromTheTarAndFromTheDirectory()
    {
        using var dir = new TestDirectory();
        var tar = await BuildAsync(dir.File("image.tar"), ImageFormat.Archive);
        var layout = await BuildAsync(dir.File("layout"), ImageFormat.OciDirectory);
        Assert.Equal([("docker.io/library/motd:v1", tar.ManifestDigest)], await ImageArchiveReader.ReadManifestsAsync(tar.OutputPath, CancellationToken.None));
        Assert.Equal([("docker.io/library/motd:v1", layout.ManifestDigest)], await ImageArchiveReader.ReadManifestsAsync(layout.OutputPath, CancellationToken.None));
        var e = await Assert.ThrowsAsync<TinyImageException>(() => ImageArchiveReader.ReadManifestsAsync(dir.Write("x.tar", new byte[1024]), CancellationToken.None));
        Assert.Contains("x.tar", e.Message);
    }
}
