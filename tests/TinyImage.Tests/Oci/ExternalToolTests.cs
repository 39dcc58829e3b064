using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text.Json;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Oci;

/// <summary>
/// Feeds written archives to the real consumers: Docker 20.10's classic <c>docker load</c>, skopeo (as an OCI
/// archive and as a Docker archive) and umoci (as an OCI image layout). Missing tools fail these tests.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ExternalToolTests
{
    private static readonly ImageConfig Config = new() { Cmd = ["/app/tool"], Env = [new("A", "1")], WorkingDir = "/app" };

    private static IReadOnlyList<FileEntry> Entries(string source)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.HostFile("/app/tool", source, 0x1ED, "test"));
        tree.Add(FileEntry.Inline("/etc/motd", "hello from tinyimage\n"u8.ToArray(), 0x1A4, "test"));
        tree.Add(FileEntry.Inline("/" + string.Join("/", Enumerable.Range(0, 14).Select(i => $"long-directory-{i:D2}")) + "/file", "deep"u8.ToArray(), 0x1A4, "test"));
        return tree.Entries();
    }

    private static string UniqueTag(string name) => $"tinyimage-test/{name}:{Guid.NewGuid().ToString("N")[..12]}";

    [Fact]
    public async Task DockerLoad_AcceptsTheArchive_WithTheRightIdLayersSizeAndFiles()
    {
        await ExternalTool.RequireDockerDaemonAsync();
        using var dir = new TestDirectory();
        var reference = UniqueTag("layer");
        var image = await TestArchives.WriteAsync(
            Entries(dir.Write("tool", new byte[5000])), Config, "amd64", ImageReference.Parse(reference), dir.File("image.tar"), CancellationToken.None);
        try
        {
            var loaded = await ExternalTool.Docker.RunAsync("load", "-i", image.OutputPath);
            Assert.Contains($"Loaded image: {reference}", loaded);

            var inspect = await ExternalTool.Docker.RunAsync("image", "inspect", reference, "--format", "{{json .}}");
            using var json = JsonDocument.Parse(inspect);
            Assert.Equal(image.ConfigDigest.ToString(), json.RootElement.GetProperty("Id").GetString());
            Assert.Equal(image.ContentSize, json.RootElement.GetProperty("Size").GetInt64());
            Assert.Equal(
                image.Layers.Select(l => l.DiffId.ToString()),
                json.RootElement.GetProperty("RootFS").GetProperty("Layers").EnumerateArray().Select(l => l.GetString()));
            Assert.Equal("/app", json.RootElement.GetProperty("Config").GetProperty("WorkingDir").GetString());

            // Read a file back without running anything: create (never started, no network) and copy out.
            var container = (await ExternalTool.Docker.RunAsync("create", "--network", "none", reference)).Trim();
            try
            {
                await ExternalTool.Docker.RunAsync("cp", $"{container}:/etc/motd", dir.File("motd"));
                Assert.Equal("hello from tinyimage\n", File.ReadAllText(dir.File("motd")));
            }
            finally
            {
                await ExternalTool.Docker.TryRunAsync("rm", "-f", container);
            }
        }
        finally
        {
            await ExternalTool.Docker.TryRunAsync("image", "rm", reference);
        }
    }

    [Fact]
    public async Task DockerLoad_AcceptsTheEmptyScratchImage_AndReportsSizeZero()
    {
        await ExternalTool.RequireDockerDaemonAsync();
        using var dir = new TestDirectory();
        var reference = UniqueTag("scratch");
        var image = await TestArchives.WriteAsync([], Config, "amd64", ImageReference.Parse(reference), dir.File("scratch.tar"), CancellationToken.None);
        try
        {
            await ExternalTool.Docker.RunAsync("load", "-i", image.OutputPath);

            var inspect = await ExternalTool.Docker.RunAsync("image", "inspect", reference, "--format", "{{json .}}");
            using var json = JsonDocument.Parse(inspect);
            Assert.Equal(image.ConfigDigest.ToString(), json.RootElement.GetProperty("Id").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("Size").GetInt64());
            Assert.False(json.RootElement.GetProperty("RootFS").TryGetProperty("Layers", out var layers) && layers.GetArrayLength() > 0);
        }
        finally
        {
            await ExternalTool.Docker.TryRunAsync("image", "rm", reference);
        }
    }

    [Fact]
    public async Task Skopeo_ReadsTheArchive_AsAnOciArchive_AndAsADockerArchive()
    {
        using var dir = new TestDirectory();
        var image = await TestArchives.WriteAsync(
            Entries(dir.Write("tool", [1, 2, 3])), Config, "amd64", ImageReference.Parse("hello:latest"), dir.File("image.tar"), CancellationToken.None);

        var raw = await ExternalTool.Skopeo.RunAsync("inspect", "--raw", $"oci-archive:{image.OutputPath}");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(image.ManifestBytes.Span), raw.TrimEnd('\n'));

        using var oci = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", $"oci-archive:{image.OutputPath}"));
        Assert.Equal(image.ManifestDigest.ToString(), oci.RootElement.GetProperty("Digest").GetString());
        Assert.Equal("amd64", oci.RootElement.GetProperty("Architecture").GetString());

        using var docker = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", $"docker-archive:{image.OutputPath}"));
        Assert.Equal(image.Layers.Count, docker.RootElement.GetProperty("Layers").GetArrayLength());
        Assert.Contains("A=1", docker.RootElement.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Skopeo_ReadsTheEmptyScratchImage()
    {
        using var dir = new TestDirectory();
        var image = await TestArchives.WriteAsync([], Config, "amd64", ImageReference.Parse("scratch"), dir.File("scratch.tar"), CancellationToken.None);

        using var oci = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", $"oci-archive:{image.OutputPath}"));
        using var docker = JsonDocument.Parse(await ExternalTool.Skopeo.RunAsync("inspect", $"docker-archive:{image.OutputPath}"));

        Assert.Equal(0, oci.RootElement.GetProperty("Layers").GetArrayLength());
        Assert.Equal(0, docker.RootElement.GetProperty("Layers").GetArrayLength());
    }

    [Fact]
    public async Task Umoci_UnpacksTheExtractedLayout_VerifyingDigests_AndApplyingTheLayer()
    {
        using var dir = new TestDirectory();
        var image = await TestArchives.WriteAsync(
            Entries(dir.Write("tool", [1, 2, 3])), Config, "amd64", ImageReference.Parse("hello:v1"), dir.File("image.tar"), CancellationToken.None);
        var layout = dir.File("layout");
        Directory.CreateDirectory(layout);
        await TarFile.ExtractToDirectoryAsync(image.OutputPath, layout, overwriteFiles: false);

        await ExternalTool.Umoci.RunAsync("unpack", "--rootless", "--image", $"{layout}:v1", dir.File("bundle"));

        var rootfs = Path.Combine(dir.File("bundle"), "rootfs");
        Assert.Equal("hello from tinyimage\n", File.ReadAllText(Path.Combine(rootfs, "etc/motd")));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(rootfs, "app/tool")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                     UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Combine(rootfs, "app/tool")));
        using var runtimeConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.File("bundle"), "config.json")));
        Assert.Equal("/app", runtimeConfig.RootElement.GetProperty("process").GetProperty("cwd").GetString());
    }

    [Fact]
    public async Task Umoci_UnpacksTheEmptyScratchImage()
    {
        using var dir = new TestDirectory();
        var image = await TestArchives.WriteAsync([], Config, "amd64", ImageReference.Parse("scratch:v1"), dir.File("scratch.tar"), CancellationToken.None);
        var layout = dir.File("layout");
        Directory.CreateDirectory(layout);
        await TarFile.ExtractToDirectoryAsync(image.OutputPath, layout, overwriteFiles: false);

        await ExternalTool.Umoci.RunAsync("unpack", "--rootless", "--image", $"{layout}:v1", dir.File("bundle"));

        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir.File("bundle"), "rootfs")));
    }
}
