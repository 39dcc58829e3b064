using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using TinyImage.Core;
using TinyImage.Core.Images;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Sources;
using System.Text;
using TinyImage.Tests.Integration;
using static TinyImage.Tests.Images.TestLayout;

namespace TinyImage.Tests.Images;

/// <summary>Base images from OCI layouts: layers reused as they are, settings inherited, and hostile layers refused.</summary>
public sealed class BaseImageProviderTests
{
    private static async Task<ResolvedBaseImage> OpenAsync(TempDirectory dir, string layout, long? maxLayerSize = null) =>
        await OpenAsync(dir, new BaseImage(BaseImageKind.Layout, layout), Platform.LinuxAmd64, maxLayerSize);

    private static async Task<ResolvedBaseImage> OpenAsync(TempDirectory dir, BaseImage image, Platform? platform, long? maxLayerSize = null)
    {
        var cache = dir.Combine("cache");
        Directory.CreateDirectory(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return await new BaseImageProvider(new BlobStore(Path.Combine(cache, "blobs")), maxLayerSize: maxLayerSize)
            .OpenAsync(image, platform, CancellationToken.None);
    }

    private static async Task<string> RefusedAsync(IReadOnlyList<IReadOnlyList<Entry>> layers, long? maxLayerSize = null)
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"), layers);
        var error = await Assert.ThrowsAsync<TinyImageException>(() => OpenAsync(dir, layout, maxLayerSize));
        Assert.DoesNotContain('\n', error.Message);
        // Nothing of a refused image is trusted later: the check's result is not kept.
        Assert.False(Directory.Exists(dir.Combine("cache/blobs/checked")) && Directory.EnumerateFiles(dir.Combine("cache/blobs/checked")).Any());
        return error.Message;
    }

    [Fact]
    public async Task Layers_are_kept_as_they_are_with_their_counts_and_the_run_settings_are_read()
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"),
            [[new("etc/", TarEntryType.Directory), new("etc/motd", Content: "hi\n")], [new("bin/", TarEntryType.Directory), new("bin/sh", Content: "#!")]],
            configRun: """{"Env":["PATH=/bin","A=1"],"Entrypoint":["/bin/sh"],"Cmd":["-c","x"],"WorkingDir":"/w","User":"1000","ExposedPorts":{"80/tcp":{}},"Labels":{"l":"v"}}""");
        var image = await OpenAsync(dir, layout);
        Assert.Equal(2, image.Layers.Count);
        foreach (var layer in image.Layers)
        {
            Assert.Equal(layer.Digest.Hex, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(layer.BlobPath))));
            Assert.Equal(File.ReadAllBytes(Path.Combine(layout, "blobs/sha256", layer.Digest.Hex)), File.ReadAllBytes(layer.BlobPath));
        }
        Assert.Equal((1, 2, 3L), (image.Layers[0].FileCount, image.Layers[0].EntryCount, image.Layers[0].ContentSize));
        Assert.Equal("amd64", image.Platform.Architecture);
        Assert.Equal(["/bin/sh"], image.Config.Entrypoint!.Value.ToArray());
        Assert.Equal(["-c", "x"], image.Config.Cmd!.Value.ToArray());
        Assert.Equal(("/w", "1000"), (image.Config.WorkingDir, image.Config.User));
        Assert.Equal(["80/tcp"], image.Config.ExposedPorts);
        Assert.Equal("v", image.Config.Labels["l"]);
        Assert.Equal(["PATH=/bin", "A=1"], image.Config.Env.Select(e => $"{e.Key}={e.Value}"));
        // A second open reads nothing again: the same layers, from the store.
        Assert.Equal(image.Layers, (await OpenAsync(dir, layout)).Layers);
    }

    [Fact]
    public void A_recipe_setting_wins_env_and_labels_merge_and_an_entrypoint_clears_the_base_command()
    {
        var baseConfig = new ImageConfig
        {
            Entrypoint = ["/bin/sh"], Cmd = ["-c", "x"], Env = [new("PATH", "/bin"), new("A", "1")], WorkingDir = "/w",
            Labels = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("a", "1"), new("b", "2")]),
        };
        var cmdOnly = BaseImageDocuments.Inherit(baseConfig, new ImageConfig { Cmd = ["/bin/bash"], Env = [new("A", "2"), new("B", "3")] });
        Assert.Equal(["/bin/sh"], cmdOnly.Entrypoint!.Value.ToArray());
        Assert.Equal(["/bin/bash"], cmdOnly.Cmd!.Value.ToArray());
        Assert.Equal(["PATH=/bin", "A=2", "B=3"], cmdOnly.Env.Select(e => $"{e.Key}={e.Value}"));
        Assert.Equal("/w", cmdOnly.WorkingDir);
        var entrypoint = BaseImageDocuments.Inherit(baseConfig, new ImageConfig { Entrypoint = ["/app"], Labels = cmdOnly.Labels.SetItem("b", "3") });
        Assert.Null(entrypoint.Cmd);
        Assert.Equal(["/app"], entrypoint.Entrypoint!.Value.ToArray());
        Assert.Equal("1", entrypoint.Labels["a"]);
        Assert.Equal("3", entrypoint.Labels["b"]);
    }

    [Fact]
    public async Task An_entry_with_a_dot_dot_component_is_refused() =>
        Assert.Contains("'..' component", await RefusedAsync([[new("etc/", TarEntryType.Directory), new("etc/../../escape", Content: "x")]]));

    [Fact]
    public async Task An_absolute_entry_name_is_refused() =>
        Assert.Contains("absolute name", await RefusedAsync([[new("/etc/passwd", Content: "root::0:0::/:/bin/sh")]]));

    [Fact]
    public async Task A_write_through_a_symbolic_link_is_refused_in_the_same_layer_and_from_a_lower_one()
    {
        Assert.Contains("through the symbolic link /x", await RefusedAsync([[new("x", TarEntryType.SymbolicLink, Target: "/etc"), new("x/passwd", Content: "pwned")]]));
        Assert.Contains("through the symbolic link /x", await RefusedAsync([[new("x", TarEntryType.SymbolicLink, Target: "../../etc")], [new("x/cron.d/job", Content: "pwned")]]));
    }

    [Fact]
    public async Task A_symbolic_link_removed_by_a_whiteout_may_be_replaced_by_a_directory()
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"), [[new("x", TarEntryType.SymbolicLink, Target: "/etc")], [new(".wh.x"), new("x/", TarEntryType.Directory), new("x/f", Content: "ok")]]);
        Assert.Equal(2, (await OpenAsync(dir, layout)).Layers.Count);
    }

    [Fact]
    public async Task A_hard_link_out_of_the_root_or_to_nothing_is_refused()
    {
        Assert.Contains("outside the image's root", await RefusedAsync([[new("passwd", TarEntryType.HardLink, Target: "../../etc/passwd")]]));
        Assert.Contains("outside the image's root", await RefusedAsync([[new("passwd", TarEntryType.HardLink, Target: "/etc/passwd")]]));
        Assert.Contains("no earlier entry made", await RefusedAsync([[new("passwd", TarEntryType.HardLink, Target: "etc/passwd")]]));
    }

    [Fact]
    public async Task A_hard_link_to_an_earlier_file_is_kept()
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"), [[new("bin/", TarEntryType.Directory), new("bin/a", Content: "x"), new("bin/b", TarEntryType.HardLink, Target: "bin/a")]]);
        Assert.Equal(3, (await OpenAsync(dir, layout)).Layers[0].EntryCount);
    }

    [Fact]
    public async Task A_layer_that_expands_beyond_the_limit_is_refused_as_a_decompression_bomb()
    {
        using var dir = new TempDirectory();
        var bomb = new byte[8 << 20]; // 8 MiB of zeros: a few KB gzipped
        var layout = Write(dir.Combine("base"), [[new("zeros", Content: System.Text.Encoding.ASCII.GetString(bomb))]]);
        Assert.True(new DirectoryInfo(Path.Combine(layout, "blobs/sha256")).EnumerateFiles().Max(f => f.Length) < 1 << 20);
        var error = await Assert.ThrowsAsync<TinyImageException>(() => OpenAsync(dir, layout, maxLayerSize: 1 << 20));
        Assert.Contains("decompression bomb", error.Message);
        Assert.Equal(1, (await OpenAsync(dir, layout, maxLayerSize: 16 << 20)).Layers[0].FileCount);
    }

    [Fact]
    public async Task A_layer_whose_content_is_not_the_configs_diff_id_is_refused()
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"), [[new("a", Content: "a")]], diffIdFor: (_, _) => "sha256:" + new string('0', 64));
        var error = await Assert.ThrowsAsync<TinyImageException>(() => OpenAsync(dir, layout));
        Assert.Contains("but the config says sha256:0000", error.Message);
    }

    [Fact]
    public async Task A_blob_that_is_not_its_digest_is_refused_and_not_kept()
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"), [[new("a", Content: "a")]]);
        var layer = new DirectoryInfo(Path.Combine(layout, "blobs/sha256")).EnumerateFiles().Single(f => f.Length > 20 && File.ReadAllBytes(f.FullName)[0] == 0x1f);
        File.WriteAllBytes(layer.FullName, TestLayout.Gzip(TestLayout.Tar([new("b", Content: "b")])));
        var error = await Assert.ThrowsAsync<TinyImageException>(() => OpenAsync(dir, layout));
        Assert.Contains("not kept", error.Message.Replace("is damaged or incomplete", "not kept"));
        Assert.False(File.Exists(dir.Combine("cache/blobs/sha256/" + layer.Name)));
    }

    [Fact]
    public async Task An_image_for_another_architecture_is_refused_with_the_platform_to_use()
    {
        using var dir = new TempDirectory();
        var layout = Write(dir.Combine("base"), [[new("a", Content: "a")]], architecture: "arm64");
        var error = await Assert.ThrowsAsync<TinyImageException>(() => OpenAsync(dir, layout));
        Assert.Contains("--platform linux/arm64", error.Message);
    }

    [Fact]
    public async Task From_archive_of_an_oci_archive_with_a_nested_index_takes_the_platforms_image_with_its_exact_manifest()
    {
        using var dir = new TempDirectory();
        var layout = new MultiPlatformLayout("amd64", "arm64");
        var archive = layout.WriteTar(dir.Combine("multi.tar"));

        var image = await OpenAsync(dir, new BaseImage(BaseImageKind.Archive, archive), Platform.LinuxArm64);

        Assert.Equal(layout.Manifest("arm64"), image.ManifestBytes.ToArray());
        Assert.Equal(MediaTypes.ImageManifest, image.ManifestMediaType);
        Assert.Equal(Platform.LinuxArm64, image.Platform);
        Assert.Equal(["/bin/arm64"], image.Config.Cmd!.Value.ToArray());
        var layer = Assert.Single(image.Layers);
        Assert.Equal((MediaTypes.LayerGzip, 2), (layer.MediaType, layer.EntryCount));
        Assert.Equal(layer.Digest, Digest.Compute(File.ReadAllBytes(layer.BlobPath)));
    }

    [Fact]
    public async Task From_archive_of_a_docker_save_archive_reuses_its_layers_as_they_are()
    {
        using var dir = new TempDirectory();
        var plain = TestLayout.Tar([new("etc/", TarEntryType.Directory), new("etc/motd", Content: "hi\n")]);
        var gzipped = TestLayout.Gzip(TestLayout.Tar([new("bin/", TarEntryType.Directory), new("bin/sh", Content: "#!")]));
        var diffIds = string.Join(",", new[] { plain, TestLayout.Tar([new("bin/", TarEntryType.Directory), new("bin/sh", Content: "#!")]) }.Select(t => $"\"{Digest.Compute(t)}\""));
        var config = $$$"""{"architecture":"amd64","os":"linux","config":{"Env":["A=b"]},"rootfs":{"type":"layers","diff_ids":[{{{diffIds}}}]}}""";
        var archive = HandMadeArchive.Write(dir.Combine("saved.tar"), [
            ("abc.json", Encoding.UTF8.GetBytes(config)),
            ("1/layer.tar", plain),
            ("2/layer.tar", gzipped),
            ("manifest.json", """[{"Config":"abc.json","RepoTags":["saved:1"],"Layers":["1/layer.tar","2/layer.tar"]}]"""u8.ToArray()),
        ]);

        var image = await OpenAsync(dir, new BaseImage(BaseImageKind.Archive, archive), null);

        Assert.Equal(Encoding.UTF8.GetBytes(config), image.ConfigBytes.ToArray());
        Assert.Equal([plain, gzipped], image.Layers.Select(l => File.ReadAllBytes(l.BlobPath)));
        Assert.Equal([MediaTypes.LayerTar, MediaTypes.LayerGzip], image.Layers.Select(l => l.MediaType));
        Assert.Equal(ImageDocuments.Manifest(new Descriptor(MediaTypes.ImageConfig, image.ConfigDigest, image.ConfigBytes.Length),
            [.. image.Layers.Select(l => new Descriptor(l.MediaType, l.Digest, l.Size))]), image.ManifestBytes.ToArray());
        Assert.Equal("b", image.Config.Env.Single().Value);
    }

    [Fact]
    public async Task From_archive_of_a_docker_save_layer_that_is_not_its_diff_id_is_refused()
    {
        using var dir = new TempDirectory();
        var plain = TestLayout.Tar([new("a", Content: "a")]);
        var config = $$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:{{{new string('0', 64)}}}"]}}""";
        var archive = HandMadeArchive.Write(dir.Combine("saved.tar"), [
            ("abc.json", Encoding.UTF8.GetBytes(config)), ("1/layer.tar", plain),
            ("manifest.json", """[{"Config":"abc.json","Layers":["1/layer.tar"]}]"""u8.ToArray()),
        ]);

        var error = await Assert.ThrowsAsync<TinyImageException>(() => OpenAsync(dir, new BaseImage(BaseImageKind.Archive, archive), null));

        Assert.DoesNotContain('\n', error.Message);
        Assert.False(File.Exists(dir.Combine("cache/blobs/sha256/" + Digest.Compute(plain).Hex)));
    }
}
