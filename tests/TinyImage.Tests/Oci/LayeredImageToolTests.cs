using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text.Json;
using TinyImage.Core.Build;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Oci;

/// <summary>
/// Multi-layer images (libc, libraries, application) as the pipeline writes them, gzip and zstd, tar and OCI
/// directory, fed to the real tools: docker load and run, podman load, skopeo inspect and copy, umoci unpack, and the
/// OCI image-spec JSON schemas. A missing tool fails the test with how to install it.
/// </summary>
[SupportedOSPlatform("linux")]
[Collection(DockerCollection.Name)]
public sealed class LayeredImageToolTests
{
    private static readonly ImageSpec EchoSpec = new()
    {
        Steps = [new AddBinaryStep("/bin/echo", "/bin/echo"), new WithLibsStep()],
        Config = new ImageConfig { Entrypoint = ["/bin/echo"], Cmd = ["hello from layers"] },
    };

    private static async Task<BuiltImage> BuildAsync(TestDirectory dir, string name, string reference,
        ImageFormat format = ImageFormat.Archive, LayerCompression compression = LayerCompression.Gzip)
    {
        var options = new ImagePipelineOptions { Format = format, Layers = new LayerOptions { Compression = compression } };
        return await new ImagePipeline(options).BuildAsync(EchoSpec, ImageReference.Parse(reference), dir.File(name), CancellationToken.None);
    }

    private static string UniqueTag(string name) => $"tinyimage-test/{name}:{Guid.NewGuid().ToString("N")[..12]}";

    private static async Task<string> ExtractAsync(TestDirectory dir, string archive)
    {
        var layout = dir.File("extracted-" + Path.GetFileNameWithoutExtension(archive));
        Directory.CreateDirectory(layout);
        await TarFile.ExtractToDirectoryAsync(archive, layout, overwriteFiles: false);
        return layout;
    }

    [Fact]
    public async Task DockerLoad_AndRun_AMultiLayerImage()
    {
        await ExternalTool.RequireDockerDaemonAsync();
        using var dir = new TestDirectory();
        var reference = UniqueTag("layers");
        var image = await BuildAsync(dir, "echo.tar", reference);
        Assert.True(image.Layers.Count >= 2, $"{image.Layers.Count} layers");
        try
        {
            Assert.Contains($"Loaded image: {reference}", await ExternalTool.Docker.RunAsync("load", "-i", image.OutputPath));
            using var json = JsonDocument.Parse(await ExternalTool.Docker.RunAsync("image", "inspect", reference, "--format", "{{json .}}"));
            Assert.Equal(image.ConfigDigest.ToString(), json.RootElement.GetProperty("Id").GetString());
            Assert.Equal(image.Layers.Select(l => l.DiffId.ToString()),
                json.RootElement.GetProperty("RootFS").GetProperty("Layers").EnumerateArray().Select(l => l.GetString()));
            Assert.Equal("hello from layers\n", await ExternalTool.Docker.RunAsync("run", "--rm", "--network", "none", reference));
        }
        finally
        {
            await ExternalTool.Docker.TryRunAsync("image", "rm", reference);
        }
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task PodmanLoad_AcceptsTheArchive(LayerCompression compression)
    {
        using var dir = new TestDirectory();
        var image = await BuildAsync(dir, "echo.tar", "podman-echo:v1", compression: compression);
        // A private store with the vfs driver: no daemon, no network, nothing shared with the host's podman. Podman
        // wants a run root of at most 50 characters, hence a short name directly in /tmp.
        var podmanDirectory = Directory.CreateTempSubdirectory("tp").FullName;
        try
        {
            string[] store = ["--root", Path.Combine(podmanDirectory, "root"), "--runroot", Path.Combine(podmanDirectory, "run"), "--storage-driver", "vfs"];
            var loaded = await ExternalTool.Podman.RunAsync([.. store, "load", "-i", image.OutputPath]);
            Assert.Contains("Loaded image: docker.io/library/podman-echo:v1", loaded);
            var inspect = await ExternalTool.Podman.RunAsync([.. store, "image", "inspect", "podman-echo:v1", "--format", "{{.Id}} {{range .RootFS.Layers}}{{.}} {{end}}"]);
            Assert.Equal(image.ConfigDigest.Hex + " " + string.Join(" ", image.Layers.Select(l => l.DiffId.ToString())), inspect.Trim());
        }
        finally
        {
            try { Directory.Delete(podmanDirectory, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task SkopeoCopy_OfTheOciArchive_ToAnOciLayout_KeepsTheManifestDigest(LayerCompression compression)
    {
        using var dir = new TestDirectory();
        var image = await BuildAsync(dir, "echo.tar", "echo:v1", compression: compression);

        using var inspected = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", $"oci-archive:{image.OutputPath}"));
        Assert.Equal(image.ManifestDigest.ToString(), inspected.RootElement.GetProperty("Digest").GetString());
        Assert.Equal(image.Layers.Select(l => l.Digest.ToString()),
            inspected.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()));

        var copy = dir.File("copy");
        await ExternalTool.Skopeo.RunAsync("copy", "--quiet", $"oci-archive:{image.OutputPath}", $"oci:{copy}:v1");
        using var copied = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", $"oci:{copy}:v1"));
        Assert.Equal(image.ManifestDigest.ToString(), copied.RootElement.GetProperty("Digest").GetString());
        await OciSchema.ValidateLayoutAsync(copy);
    }

    [Fact]
    public async Task SkopeoCopy_OfTheDockerArchive_ToAnOciLayout_KeepsTheDiffIds()
    {
        using var dir = new TestDirectory();
        var image = await BuildAsync(dir, "echo.tar", "echo:v1");
        var copy = dir.File("copy");
        await ExternalTool.Skopeo.RunAsync("copy", "--quiet", $"docker-archive:{image.OutputPath}", $"oci:{copy}:v1");
        using var config = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", "--config", $"oci:{copy}:v1"));
        Assert.Equal(image.Layers.Select(l => l.DiffId.ToString()),
            config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(l => l.GetString()));
    }

    // umoci 0.4.7 (Debian 12) does not read zstd layers ("blob is not correct mediatype"); zstd is checked with skopeo and podman.
    [Fact]
    public async Task Umoci_UnpacksTheOciDirectory_ApplyingEveryLayer()
    {
        using var dir = new TestDirectory();
        var image = await BuildAsync(dir, "layout", "echo:v1", ImageFormat.OciDirectory);
        Assert.True(Directory.Exists(image.OutputPath));

        await ExternalTool.Umoci.RunAsync("unpack", "--rootless", "--image", $"{image.OutputPath}:v1", dir.File("bundle"));

        var rootfs = Path.Combine(dir.File("bundle"), "rootfs");
        Assert.Equal(File.ReadAllBytes("/bin/echo"), File.ReadAllBytes(Path.Combine(rootfs, "usr/bin/echo")));
        Assert.True(File.Exists(Path.Combine(rootfs, "usr/lib/x86_64-linux-gnu/libc.so.6")));
        Assert.Equal("usr/lib64", new FileInfo(Path.Combine(rootfs, "lib64")).LinkTarget);
    }

    [Theory]
    [InlineData(ImageFormat.Archive, LayerCompression.Gzip)]
    [InlineData(ImageFormat.Archive, LayerCompression.Zstd)]
    [InlineData(ImageFormat.OciDirectory, LayerCompression.Gzip)]
    public async Task EveryJsonDocumentWeWrite_IsValidAgainstTheOciSchemas(ImageFormat format, LayerCompression compression)
    {
        using var dir = new TestDirectory();
        var image = await BuildAsync(dir, format == ImageFormat.Archive ? "echo.tar" : "layout", "echo:v1", format, compression);
        var layout = format == ImageFormat.Archive ? await ExtractAsync(dir, image.OutputPath) : image.OutputPath;
        await OciSchema.ValidateLayoutAsync(layout);

        // And the schema check does reject a broken document, so "valid" means something.
        var broken = dir.Write("broken.json", "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"nope\",\"size\":1},\"layers\":[]}"u8.ToArray());
        await Assert.ThrowsAnyAsync<Exception>(() => OciSchema.ValidateAsync((OciSchema.Manifest, broken)));
    }

    [Fact]
    public async Task TheEmptyScratchImage_IsValidAgainstTheOciSchemas_ButForTheRelaxedLayersMinimum()
    {
        using var dir = new TestDirectory();
        var image = await new ImagePipeline(new ImagePipelineOptions()).BuildAsync(
            new ImageSpec(), ImageReference.Parse("scratch:v1"), dir.File("scratch.tar"), CancellationToken.None);
        var layout = await ExtractAsync(dir, image.OutputPath);
        await OciSchema.ValidateAsync(
            (OciSchema.Layout, Path.Combine(layout, "oci-layout")),
            (OciSchema.Index, Path.Combine(layout, "index.json")),
            (OciSchema.Config, Path.Combine(layout, ImageDocuments.BlobPath(image.ConfigDigest))));
        // Debian's schemas (image-spec 1.1.0-rc2) still say "minItems": 1 for layers; image-spec 1.1.0 relaxed that
        // to "SHOULD have at least one entry", and Docker, skopeo and umoci accept it (ExternalToolTests). That must
        // be the only complaint.
        var e = await Assert.ThrowsAnyAsync<Exception>(() =>
            OciSchema.ValidateAsync((OciSchema.Manifest, Path.Combine(layout, ImageDocuments.BlobPath(image.ManifestDigest)))));
        Assert.Contains("[] is too short at ['layers']", e.Message);
        Assert.Contains("1 errors", e.Message);
    }
}
