using System.Text;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;
using TinyImage.Runner;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Sources;

/// <summary>
/// The one reader of layouts and archives (<see cref="ImageArchiveReader"/>): nested indexes and the platform chosen
/// from them, layout directories, the exact manifest and config bytes, and the checks on what it reads.
/// </summary>
public sealed class ImageArchiveReaderTests
{
    private static string Describe(IEnumerable<ArchiveImage> images)
    {
        var output = new StringWriter { NewLine = "\n" };
        foreach (var image in images) InspectCommand.Describe(image, showFiles: true, output);
        return output.ToString();
    }

    private static string Refused(string path, Platform? platform = null)
    {
        var e = Assert.Throws<TinyImageException>(() => ImageArchiveReader.Read(path, platform));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void An_oci_archive_with_a_nested_index_gives_the_image_of_the_platform_asked_for_with_its_exact_manifest()
    {
        using var dir = new TempDirectory();
        var layout = new MultiPlatformLayout("amd64", "arm64");
        var archive = layout.WriteTar(dir.Combine("multi.tar"));

        var image = Assert.Single(ImageArchiveReader.Read(archive, Platform.LinuxArm64));

        Assert.Equal(layout.Manifest("arm64"), image.ManifestBytes.ToArray());
        Assert.Equal(Digest.Compute(layout.Manifest("arm64")), image.ManifestDigest);
        Assert.Equal(MediaTypes.ImageManifest, image.ManifestMediaType);
        var text = Describe([image]);
        Assert.StartsWith("multi:1  linux/arm64  created (not set)\n  Cmd         [\"/bin/arm64\"]\n", text);
        Assert.Contains("\n    arch  6 B\n", text);
    }

    [Fact]
    public void Without_a_platform_every_image_of_a_nested_index_is_read_but_not_its_attestation()
    {
        using var dir = new TempDirectory();
        var archive = new MultiPlatformLayout("amd64", "arm64").WriteTar(dir.Combine("multi.tar"));

        var images = ImageArchiveReader.Read(archive);

        Assert.Equal(["amd64", "arm64"], images.Select(i => i.Config.GetProperty("architecture").GetString()));
    }

    [Fact]
    public void A_platform_the_index_lacks_is_one_line_naming_those_it_has()
    {
        using var dir = new TempDirectory();
        var archive = new MultiPlatformLayout("amd64", "arm64").WriteTar(dir.Combine("multi.tar"));

        var message = Refused(archive, new Platform("linux", "s390x"));

        Assert.Contains("has no image for linux/s390x (it has linux/amd64, linux/arm64); pick one with --platform", message);
    }

    [Fact]
    public void Tinyrun_inspect_platform_shows_that_platforms_image()
    {
        using var dir = new TempDirectory();
        var archive = new MultiPlatformLayout("amd64", "arm64").WriteTar(dir.Combine("multi.tar"));

        var inspect = Run.Tinyrun(dir.Path, "inspect", archive, "--platform", "linux/arm64", "--no-files");

        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.StartsWith("multi:1  linux/arm64  ", inspect.Stdout);
        Assert.DoesNotContain("amd64", inspect.Stdout);
    }

    [Fact]
    public void A_layout_directory_reads_as_its_tar_does()
    {
        using var dir = new TempDirectory();
        var layout = new MultiPlatformLayout("amd64", "arm64");

        var fromDirectory = ImageArchiveReader.Read(layout.WriteDirectory(dir.Combine("layout")), Platform.LinuxAmd64);
        var fromTar = ImageArchiveReader.Read(layout.WriteTar(dir.Combine("multi.tar")), Platform.LinuxAmd64);

        Assert.Equal(layout.Manifest("amd64"), Assert.Single(fromDirectory).ManifestBytes.ToArray());
        Assert.Equal(Describe(fromTar), Describe(fromDirectory));
        var layer = fromDirectory[0].Layers[0];
        using var blob = layer.OpenCompressed();
        Assert.Equal(layer.Digest, Digest.FromHash(System.Security.Cryptography.SHA256.HashData(blob)));
    }

    [Fact]
    public void A_docker_save_manifest_in_a_directory_may_not_name_a_file_outside_it()
    {
        using var dir = new TempDirectory();
        dir.Write("outside.json", HandMadeArchive.Config);
        dir.Write("layout/manifest.json", """[{"Config":"../outside.json","RepoTags":["x:1"],"Layers":[]}]""");

        Assert.Contains("../outside.json: a name that leaves the layout directory", Refused(dir.Combine("layout")));
    }

    [Fact]
    public void A_document_that_is_not_the_digest_it_is_named_by_is_refused()
    {
        using var dir = new TempDirectory();
        var layout = dir.Combine("layout");
        new MultiPlatformLayout("amd64").WriteDirectory(layout);
        var config = Directory.EnumerateFiles(Path.Combine(layout, "blobs/sha256")).Single(f => File.ReadAllText(f).Contains("\"rootfs\"", StringComparison.Ordinal));
        File.WriteAllText(config, File.ReadAllText(config).Replace("/bin/amd64", "/bin/evil5", StringComparison.Ordinal));

        Assert.Contains("does not have the digest it is named by", Refused(layout, Platform.LinuxAmd64));
    }

    [Fact]
    public void A_layer_whose_size_is_not_its_descriptors_is_refused()
    {
        using var dir = new TempDirectory();
        var layer = HandMadeArchive.Layer(false, ("a", "a"));
        var manifest = HandMadeArchive.OciManifest.Replace("{LAYER_SIZE}", "7");
        var archive = HandMadeArchive.Oci(dir.Combine("oci.tar"), HandMadeArchive.OciIndex, manifest, HandMadeArchive.Config, layer);

        Assert.Contains($"is {layer.Length} bytes, but", Refused(archive));
    }

    [Fact]
    public void Indexes_nested_too_deep_are_refused()
    {
        using var dir = new TempDirectory();
        var members = new List<(string, byte[])>();
        var index = new MultiPlatformLayout("amd64").Manifest("amd64"); // the innermost document; never reached
        for (var depth = 0; depth < 6; depth++)
        {
            var digest = Digest.Compute(index);
            members.Add((ImageDocuments.BlobPath(digest), index));
            index = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{MediaTypes.ImageIndex}}","digest":"{{digest}}","size":{{index.Length}}}]}""");
        }
        members.Add(("index.json", index));

        Assert.Contains("indexes nest more than 4 deep", Refused(HandMadeArchive.Write(dir.Combine("deep.tar"), members)));
    }

    [Fact]
    public void An_index_naming_one_manifest_again_and_again_is_bounded()
    {
        using var dir = new TempDirectory();
        var layer = HandMadeArchive.Layer(false, ("a", "a"));
        var entry = """{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{MANIFEST}","size":{MANIFEST_SIZE}}""";
        var index = $$"""{"schemaVersion":2,"manifests":[{{string.Join(",", Enumerable.Repeat(entry, 300))}}]}""";
        var archive = HandMadeArchive.Oci(dir.Combine("many.tar"), index, HandMadeArchive.OciManifest, HandMadeArchive.Config, layer);

        Assert.Contains("holds more than 256 images", Refused(archive));
    }

    [Fact]
    public void The_documents_of_an_archive_are_bounded_together()
    {
        using var dir = new TempDirectory();
        var layer = HandMadeArchive.Layer(false, ("a", "a"));
        // A config just under the limit of one document, named by 20 images: 80 MiB read in all.
        var config = HandMadeArchive.Config[..^1] + ",\"padding\":\"" + new string('x', (4 << 20) - 200) + "\"}";
        var entry = """{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{MANIFEST}","size":{MANIFEST_SIZE}}""";
        var index = $$"""{"schemaVersion":2,"manifests":[{{string.Join(",", Enumerable.Repeat(entry, 20))}}]}""";
        var archive = HandMadeArchive.Oci(dir.Combine("big.tar"), index, HandMadeArchive.OciManifest, config, layer);

        Assert.Contains("its documents hold more than 64 MiB together", Refused(archive));
    }

    [Fact]
    public void A_docker_save_archive_is_an_image_whose_layers_are_named_by_their_digests_and_media_types()
    {
        using var dir = new TempDirectory();
        var plain = HandMadeArchive.Layer(false, ("a", "a"));
        var gzipped = HandMadeArchive.Layer(true, ("b", "b"));
        var archive = HandMadeArchive.DockerSave(dir.Combine("saved.tar"), plain, gzipped);

        var image = Assert.Single(ImageArchiveReader.Read(archive));

        Assert.Equal([Digest.Compute(plain), Digest.Compute(gzipped)], image.Layers.Select(l => l.Digest));
        Assert.Equal([MediaTypes.LayerTar, MediaTypes.LayerGzip], image.Layers.Select(l => l.MediaType));
        Assert.Equal(Digest.Compute(plain), image.Layers[0].DiffId); // the config lists none: hashed
        Assert.Equal(Digest.Compute(image.ConfigBytes.Span), image.ConfigDigest);
        Assert.Equal(image.ConfigDigest, Digest.Compute(Encoding.UTF8.GetBytes(HandMadeArchive.Config)));
        Assert.Contains($"\"digest\":\"{Digest.Compute(gzipped)}\"", Encoding.UTF8.GetString(image.ManifestBytes.Span));
    }
}
