using System.Text.Json;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Images;

/// <summary>Recipes built on base images (<c>From.Archive</c>, <c>From.Layout</c>), loaded into the real engine and run.</summary>
[Collection(DockerCollection.Name)]
public sealed class BaseImageRecipeTests
{
    /// <summary>The layer digests an OCI layout's (or our archive's) only manifest lists, lowest first.</summary>
    private static IReadOnlyList<string> LayerDigests(string layoutDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layoutDirectory, "index.json")));
        var manifest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layoutDirectory, "blobs/sha256", manifest["sha256:".Length..])));
        return [.. document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }

    [Fact]
    public void A_recipe_from_a_docker_save_archive_runs_with_the_base_layers_byte_identical_and_its_settings_inherited()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var baseTag = images.Tag("base");
        dir.Write("base.tiny.csx", $"From.Scratch().AddBinary(\"/bin/bash\").AddBinary(\"/bin/cat\").WithLibs().Env(\"GREETING\", \"hi from the base\").WorkDir(\"/srv\").Tag(\"{baseTag}\")");
        var build = Run.Tinyrun(dir.Path, "base.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        var save = Run.Docker("save", "-o", dir.Combine("saved.tar"), baseTag);
        Assert.True(save.ExitCode == 0, save.ToString());

        var tag = images.Tag("onbase");
        dir.Write("onbase.tiny.csx", $"From.Archive(\"saved.tar\").AddText(\"/srv/hello.txt\", \"hi\\n\").Cmd(\"/bin/bash\", \"-c\", \"cat hello.txt; echo $GREETING\").Tag(\"{tag}\")");
        var onBase = Run.Tinyrun(dir.Path, "onbase.tiny.csx", "--load", "--format", "tar");
        Assert.True(onBase.ExitCode == 0, onBase.ToString());
        var run = Run.Docker("run", "--rm", "--network", "none", tag);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hi\nhi from the base\n", run.Stdout);

        // docker save (20.10) stores layers as plain tars; they are reused as they are: the same bytes, so the same digests.
        var saved = Path.Combine(dir.Path, "saved");
        Directory.CreateDirectory(saved);
        Assert.Equal(0, Run.Process("tar", ["-xf", dir.Combine("saved.tar"), "-C", saved]).ExitCode);
        using var savedManifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(saved, "manifest.json")));
        var savedLayers = savedManifest.RootElement[0].GetProperty("Layers").EnumerateArray()
            .Select(l => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(saved, l.GetString()!))))).ToList();
        var ours = Path.Combine(dir.Path, "ours");
        Directory.CreateDirectory(ours);
        Assert.Equal(0, Run.Process("tar", ["-xf", dir.Combine("out/onbase.tar"), "-C", ours]).ExitCode);
        var layers = LayerDigests(ours);
        Assert.Equal(savedLayers.Count + 1, layers.Count);
        Assert.Equal(savedLayers, layers.Take(savedLayers.Count));

        // Offline and again: the same image from the cache.
        var again = Run.Tinyrun(dir.Path, "onbase.tiny.csx");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(onBase.Stdout.Split("  ")[1], again.Stdout.Split("  ")[1]);
    }

    [Fact]
    public void A_recipe_from_an_oci_layout_reuses_its_compressed_layers_and_runs()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--format", "oci-dir", "-o", dir.Combine("base-layout"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var tag = images.Tag("fromlayout");
        dir.Write("r.tiny.csx", $"From.Layout(\"base-layout\").AddText(\"/etc/motd\", \"layered\\n\").Tag(\"{tag}\")");
        var onLayout = Run.Tinyrun(dir.Path, "r.tiny.csx", "--load", "-o", dir.Combine("r.tar"));
        Assert.True(onLayout.ExitCode == 0, onLayout.ToString());
        var ours = Path.Combine(dir.Path, "ours");
        Directory.CreateDirectory(ours);
        Assert.Equal(0, Run.Process("tar", ["-xf", dir.Combine("r.tar"), "-C", ours]).ExitCode);
        var baseLayers = LayerDigests(dir.Combine("base-layout"));
        Assert.Equal(baseLayers, LayerDigests(ours).Take(baseLayers.Count));
        var run = Run.Docker("run", "--rm", "--network", "none", tag, "/bin/bash", "-c", "read -r line < /etc/motd; echo $line; ls /bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("layered\nbash\nls\n", run.Stdout);
    }

    [Fact]
    public void A_missing_base_archive_is_one_line_naming_the_recipe_line_and_the_path()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", "\nFrom.Archive(\"nope.tar\").AddText(\"/a\", \"a\")");
        var build = Run.Tinyrun(dir.Path, "r.tiny.csx");
        Assert.Equal(1, build.ExitCode);
        Assert.Matches(@"\ntinyrun: .*r\.tiny\.csx\(2\): .*nope\.tar: no such file\n$", build.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")) && Directory.EnumerateFileSystemEntries(dir.Combine("out")).Any());
    }

    [Fact]
    public void A_root_from_an_image_takes_exactly_what_a_program_needs_out_of_it_without_the_host()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        // The base holds a script the host does not have, and bash, ls and cat with their libraries.
        var baseTag = images.Tag("fat");
        dir.Write("fat.tiny.csx", $"From.Scratch().AddBinary(\"/bin/bash\").AddBinary(\"/bin/ls\").AddBinary(\"/bin/cat\").WithLibs()" +
            $".AddText(\"/opt/only-in-image/tool.sh\", \"#!/bin/bash\\necho from the image\\n\", 755).Tag(\"{baseTag}\")");
        Assert.True(Run.Tinyrun(dir.Path, "fat.tiny.csx", "--load").ExitCode == 0);
        Assert.True(Run.Docker("save", "-o", dir.Combine("fat.tar"), baseTag).ExitCode == 0);
        Assert.False(Directory.Exists("/opt/only-in-image"));

        var tag = images.Tag("slim");
        dir.Write("slim.tiny.csx", $"From.Scratch().Root(From.Archive(\"fat.tar\")).AddBinary(\"/opt/only-in-image/tool.sh\").WithLibs().Tag(\"{tag}\")");
        var slim = Run.Tinyrun(dir.Path, "slim.tiny.csx", "--load", "-o", dir.Combine("slim.tar"));
        Assert.True(slim.ExitCode == 0, slim.ToString());
        var run = Run.Docker("run", "--rm", "--network", "none", tag, "/opt/only-in-image/tool.sh");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("from the image\n", run.Stdout);
        // Only the script, bash and bash's libraries: no ls, no cat, and one image in the recipe (the root is not one).
        var files = Run.Tinyrun(dir.Path, "inspect", "slim.tar").Stdout;
        Assert.Contains("/bin/bash", files);
        Assert.DoesNotContain("/bin/ls", files);
        Assert.DoesNotContain("/bin/cat", files);
        Assert.Single(slim.Stdout.Trim().Split('\n'));
    }
}
