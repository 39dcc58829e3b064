using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Oci;

public sealed class ImageArchiveWriterTests
{
    private static readonly ImageConfig Config = new() { Cmd = ["/app/tool"], Env = [new("A", "1")] };

    private static IReadOnlyList<FileEntry> Entries(string source)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.HostFile("/app/tool", source, 0x1ED, "test"));
        tree.Add(FileEntry.Inline("/etc/motd", "hi\n"u8.ToArray(), 0x1A4, "test"));
        return tree.Entries();
    }

    private static Dictionary<string, (TarEntry Entry, byte[] Data)> ReadArchive(string path) =>
        TarInspection.ReadEntries(File.ReadAllBytes(path)).ToDictionary(r => r.Entry.Name, r => r);

    [Fact]
    public async Task Archive_HoldsLayoutIndexDockerManifestAndBlobs_InFixedOrder_WithFixedMetadata()
    {
        using var dir = new TestDirectory();
        var output = dir.File("hello.tar");

        var image = await TestArchives.WriteAsync(
            Entries(dir.Write("tool", [1, 2, 3])), Config, "amd64", ImageReference.Parse("hello:latest"), output, CancellationToken.None);

        var entries = TarInspection.ReadEntries(File.ReadAllBytes(output));
        var layer = Assert.Single(image.Layers);
        Assert.Equal(
            [
                "oci-layout", "index.json", "manifest.json", "blobs/", "blobs/sha256/",
                $"blobs/sha256/{image.ConfigDigest.Hex}", $"blobs/sha256/{layer.Digest.Hex}", $"blobs/sha256/{image.ManifestDigest.Hex}",
            ],
            entries.Select(e => e.Entry.Name).ToList());
        foreach (var (entry, _) in entries)
        {
            Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            Assert.Equal(0, entry.Uid);
            Assert.Equal(0, entry.Gid);
            Assert.Equal(entry.EntryType == TarEntryType.Directory ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4, entry.Mode);
        }
        foreach (var (entry, data) in entries.Where(e => e.Entry.Name.StartsWith("blobs/sha256/", StringComparison.Ordinal) && e.Entry.EntryType == TarEntryType.RegularFile))
            Assert.Equal(entry.Name["blobs/sha256/".Length..], Convert.ToHexStringLower(SHA256.HashData(data)));
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", System.Text.Encoding.UTF8.GetString(entries[0].Data));
        Assert.Equal(ImageDocuments.Index(new Descriptor(MediaTypes.ImageManifest, image.ManifestDigest, image.ManifestBytes.Length), image.Reference), entries[1].Data);
    }

    [Fact]
    public async Task DockerManifest_And_Index_PointAtBlobsInTheArchive_ThatChainToTheLayers()
    {
        using var dir = new TestDirectory();
        var output = dir.File("out/hello.tar");

        var image = await TestArchives.WriteAsync(
            Entries(dir.Write("tool", [1, 2, 3])), Config, "amd64", ImageReference.Parse("hello"), output, CancellationToken.None);
        var archive = ReadArchive(output);

        using var dockerManifest = JsonDocument.Parse(archive["manifest.json"].Data);
        var item = Assert.Single(dockerManifest.RootElement.EnumerateArray().ToList());
        Assert.Equal("hello:latest", Assert.Single(item.GetProperty("RepoTags").EnumerateArray().ToList()).GetString());
        var configPath = item.GetProperty("Config").GetString()!;
        Assert.True(archive.ContainsKey(configPath), configPath);
        Assert.All(item.GetProperty("Layers").EnumerateArray(), l => Assert.True(archive.ContainsKey(l.GetString()!)));

        using var index = JsonDocument.Parse(archive["index.json"].Data);
        var manifestDescriptor = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray().ToList());
        Assert.Equal("latest", manifestDescriptor.GetProperty("annotations").GetProperty(ImageDocuments.RefNameAnnotation).GetString());
        Assert.Equal("docker.io/library/hello:latest", manifestDescriptor.GetProperty("annotations").GetProperty(ImageDocuments.ContainerdNameAnnotation).GetString());
        var manifestBytes = archive["blobs/sha256/" + Digest.Parse(manifestDescriptor.GetProperty("digest").GetString()!).Hex].Data;
        Assert.Equal(manifestDescriptor.GetProperty("size").GetInt64(), manifestBytes.Length);
        Assert.Equal(image.ManifestBytes.ToArray(), manifestBytes);

        using var manifest = JsonDocument.Parse(manifestBytes);
        var configDigest = Digest.Parse(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!);
        Assert.Equal(image.ConfigDigest, configDigest);
        Assert.Equal($"blobs/sha256/{configDigest.Hex}", configPath);
        using var config = JsonDocument.Parse(archive[configPath].Data);
        var diffIds = config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()).ToList();
        var layerDescriptors = manifest.RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(diffIds.Count, layerDescriptors.Count);
        for (var i = 0; i < diffIds.Count; i++)
        {
            var blob = archive["blobs/sha256/" + Digest.Parse(layerDescriptors[i].GetProperty("digest").GetString()!).Hex].Data;
            Assert.Equal(layerDescriptors[i].GetProperty("size").GetInt64(), blob.Length);
            using var gunzip = new System.IO.Compression.GZipStream(new MemoryStream(blob), System.IO.Compression.CompressionMode.Decompress);
            var tar = new MemoryStream();
            gunzip.CopyTo(tar);
            Assert.Equal(diffIds[i], Digest.Compute(tar.ToArray()).ToString());
        }
    }

    [Fact]
    public async Task SameInputs_WithDifferentSourceMtimes_AtDifferentTimes_GiveIdenticalArchives()
    {
        using var dir = new TestDirectory();
        var a = dir.Write("a/tool", [1, 2, 3, 4], new DateTime(1999, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var b = dir.Write("b/tool", [1, 2, 3, 4], new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc));


        var first = await TestArchives.WriteAsync(Entries(a), Config, "amd64", ImageReference.Parse("hello:1"), dir.File("1.tar"), CancellationToken.None);
        await Task.Delay(1100);
        var second = await TestArchives.WriteAsync(Entries(b), Config, "amd64", ImageReference.Parse("hello:1"), dir.File("2.tar"), CancellationToken.None);

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(first.ConfigDigest, second.ConfigDigest);
        Assert.Equal(File.ReadAllBytes(first.OutputPath), File.ReadAllBytes(second.OutputPath));
    }

    [Fact]
    public async Task NoEntries_GiveAScratchImage_WithNoLayers()
    {
        using var dir = new TestDirectory();

        var image = await TestArchives.WriteAsync([], Config, "amd64", ImageReference.Parse("scratch-test"), dir.File("s.tar"), CancellationToken.None);

        Assert.Empty(image.Layers);
        Assert.Equal(0, image.CompressedSize);
        Assert.Equal(0, image.FileCount);
        using var config = JsonDocument.Parse(image.ConfigBytes);
        Assert.Equal(0, config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
        Assert.Equal(["s.tar"], dir.FileNames());
    }

    [Fact]
    public async Task BuiltImage_ReportsSizes_AndStreamsTheArchiveAgain()
    {
        using var dir = new TestDirectory();
        var content = new byte[10_000];

        var image = await TestArchives.WriteAsync(
            Entries(dir.Write("tool", content)), Config, "amd64", ImageReference.Parse("registry.example:5000/team/app:v1"), dir.File("a.tar"), CancellationToken.None);

        Assert.Equal(2, image.FileCount);
        Assert.Equal(10_003, image.ContentSize);
        Assert.Equal(image.Layers.Sum(l => l.Size), image.CompressedSize);
        Assert.Equal(Digest.Compute(image.ManifestBytes.Span), image.ManifestDigest);
        Assert.Equal(Digest.Compute(image.ConfigBytes.Span), image.ConfigDigest);
        Assert.Equal("registry.example:5000/team/app:v1", image.Reference.FullyQualified);
        Assert.Equal(Path.GetFullPath(dir.File("a.tar")), image.OutputPath);
        Assert.Equal(new FileInfo(image.OutputPath).Length, image.ArchiveSize);
        Assert.Equal(["a.tar", "tool"], dir.FileNames()); // the temporary layer blob is gone
    }

    [Fact]
    public async Task SameLayerTwice_IsStoredOnce_ButListedTwice()
    {
        using var dir = new TestDirectory();
        var layer = await new LayerWriter().WriteAsync(Entries(dir.Write("tool", [7])), dir.Path, CancellationToken.None);

        var image = await TestArchives.WriteAsync(
            Config, "amd64", [layer, layer], ImageReference.Parse("twice"), dir.File("t.tar"), DateTimeOffset.UnixEpoch, CancellationToken.None);

        var names = TarInspection.ReadEntries(File.ReadAllBytes(image.OutputPath)).Select(e => e.Entry.Name).ToList();
        Assert.Single(names, n => n == $"blobs/sha256/{layer.Digest.Hex}");
        using var manifest = JsonDocument.Parse(image.ManifestBytes);
        Assert.Equal(2, manifest.RootElement.GetProperty("layers").GetArrayLength());
        Assert.True(File.Exists(layer.BlobPath)); // given layers belong to the caller
    }

    [Fact]
    public async Task FailedWrite_LeavesNoOutput_AndNoTemporaryFile()
    {
        using var dir = new TestDirectory();
        var missing = dir.File("missing-tool");

        await Assert.ThrowsAsync<TinyImageException>(() => TestArchives.WriteAsync(
            Entries(missing), Config, "amd64", ImageReference.Parse("hello"), dir.File("out/hello.tar"), CancellationToken.None));

        Assert.Empty(Directory.GetFileSystemEntries(dir.File("out")));
    }

    [Fact]
    public async Task FailedWrite_LeavesThePreviousOutputUnchanged()
    {
        using var dir = new TestDirectory();
        var output = dir.File("hello.tar");

        await TestArchives.WriteAsync(Entries(dir.Write("tool", [1])), Config, "amd64", ImageReference.Parse("hello"), output, CancellationToken.None);
        var previous = File.ReadAllBytes(output);

        await Assert.ThrowsAsync<TinyImageException>(() => TestArchives.WriteAsync(
            Entries(dir.File("missing")), Config, "amd64", ImageReference.Parse("hello"), output, CancellationToken.None));

        Assert.Equal(previous, File.ReadAllBytes(output));
        Assert.Equal(["hello.tar", "tool"], dir.FileNames());
    }

    [Fact]
    public async Task FailureWhileWritingTheArchive_LeavesThePreviousOutputUnchanged()
    {
        using var dir = new TestDirectory();
        var output = dir.File("hello.tar");
        File.WriteAllText(output, "previous");
        var layer = await new LayerWriter().WriteAsync(Entries(dir.Write("tool", [1])), dir.Path, CancellationToken.None);
        File.AppendAllText(layer.BlobPath, "tampered"); // the archive writer notices when it copies the blob

        await Assert.ThrowsAsync<TinyImageException>(() => TestArchives.WriteAsync(
            Config, "amd64", [layer], ImageReference.Parse("hello"), output, DateTimeOffset.UnixEpoch, CancellationToken.None));

        Assert.Equal("previous", File.ReadAllText(output));
        File.Delete(layer.BlobPath);
        Assert.Equal(["hello.tar", "tool"], dir.FileNames());
    }

    [Fact]
    public async Task Cancellation_LeavesThePreviousOutputUnchanged()
    {
        using var dir = new TestDirectory();
        var output = dir.File("hello.tar");
        File.WriteAllText(output, "previous");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TestArchives.WriteAsync(
            Entries(dir.Write("tool", [1])), Config, "amd64", ImageReference.Parse("hello"), output, cancelled.Token));

        Assert.Equal("previous", File.ReadAllText(output));
        Assert.Equal(["hello.tar", "tool"], dir.FileNames());
    }

    [Fact]
    public async Task Cancellation_WhileALayerIsCopied_StopsTheCopy_AndLeavesThePreviousOutputUnchanged()
    {
        using var dir = new TestDirectory();
        var output = dir.File("hello.tar");
        File.WriteAllText(output, "previous");
        var layer = await new LayerWriter().WriteAsync(Entries(dir.Write("tool", new byte[1 << 20])), dir.Path, CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        var cancelling = new CancellingLayer(layer, cancelled);
        var image = Image.Create(Config, "amd64", [cancelling], DateTimeOffset.UnixEpoch);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImageArchiveWriter(output).WriteAsync(image, ImageReference.Parse("hello"), cancelled.Token));

        Assert.Equal(0, cancelling.BytesRead); // the copy stopped at once, not at the end of the blob
        Assert.Equal("previous", File.ReadAllText(output));
        File.Delete(layer.BlobPath);
        Assert.Equal(["hello.tar", "tool"], dir.FileNames());
    }

    /// <summary>A layer whose blob, once its copy has begun, cancels <paramref name="cancellation"/>; it counts the blob's bytes read.</summary>
    private sealed class CancellingLayer(Layer layer, CancellationTokenSource cancellation) : ILayer
    {
        private Counted? _blob;

        public long BytesRead => _blob?.BytesRead ?? -1;

        public Digest Digest => layer.Digest;
        public Digest DiffId => layer.DiffId;
        public long Size => layer.Size;
        public string MediaType => layer.MediaType;

        public Stream OpenCompressed()
        {
            cancellation.Cancel(); // the archive's first members are written; the blob's bytes are next
            return _blob = new Counted(layer.OpenCompressed());
        }

        public Stream OpenUncompressed() => layer.OpenUncompressed();

        private sealed class Counted(Stream inner) : ReadingStream(inner)
        {
            public long BytesRead { get; private set; }

            public override int Read(Span<byte> buffer)
            {
                var n = base.Read(buffer);
                BytesRead += n;
                return n;
            }
        }
    }

    [Fact]
    public async Task OutputThatIsADirectory_IsAUserError()
    {
        using var dir = new TestDirectory();

        var error = await Assert.ThrowsAsync<TinyImageException>(
            () => TestArchives.WriteAsync([], Config, "amd64", ImageReference.Parse("hello"), dir.Path, CancellationToken.None));

        Assert.Contains("is a directory", error.Message);
        Assert.Empty(dir.FileNames());
    }
}
