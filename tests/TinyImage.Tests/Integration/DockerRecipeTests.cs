using System.Net;
using System.Net.Sockets;

namespace TinyImage.Tests.Integration;

/// <summary>The seed's recipes, built by tinyrun, loaded into the real Docker engine and run.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerRecipeTests
{
    [Fact]
    public void Hello_loads_with_docker_load_and_prints_the_greeting()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var hello = images.Tag("hello");
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/hello.tiny.csx", "--tag", hello, "--output", dir.Combine("hello.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var load = Run.Docker("load", "-i", dir.Combine("hello.tar"));
        Assert.True(load.ExitCode == 0, load.ToString());
        var run = Run.Docker("run", "--rm", "--network", "none", hello);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("Hello from TinyImage: a scratch image with /bin/echo and its libraries.\n", run.Stdout);
    }

    [Fact]
    public void Bash_ls_loads_through_the_engine_api_and_ls_works_while_env_does_not_exist()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("ls"); // a new name: the engine cannot have it, so the image is really loaded
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--load", "--tag", tag, "--output", dir.Combine("ls.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("loaded into Docker", build.Stdout);

        var ls = Run.Docker("run", "--rm", "--network", "none", tag, "/bin/bash", "-c", "ls /bin");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal(["bash", "ls"], ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var longListing = Run.Docker("run", "--rm", "--network", "none", tag, "/bin/bash", "-c", "ls -al /bin/");
        Assert.True(longListing.ExitCode == 0, longListing.ToString());
        Assert.Contains(" bash", longListing.Stdout);

        var env = Run.Docker("run", "--rm", "--network", "none", tag, "/bin/bash", "-c", "env");
        Assert.Equal(127, env.ExitCode);
        Assert.Contains("env: command not found", env.Stderr);
    }

    [Fact]
    public void Loading_an_image_the_engine_already_has_under_that_name_is_skipped_and_a_changed_one_is_loaded()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("again");
        dir.Write("again.tiny.csx", $"From.Scratch().AddText(\"/v\", Args[\"v\"]).Tag(\"{tag}\")");
        var first = Run.Tinyrun(dir.Path, "again.tiny.csx", "--load", "-v", "--arg", "v=1");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"loaded {tag} into the Docker engine", first.Stderr);
        var firstId = Run.Docker("image", "inspect", "--format", "{{.Id}}", tag).Stdout.Trim();
        try
        {
            var second = Run.Tinyrun(dir.Path, "again.tiny.csx", "--load", "-v", "--arg", "v=1");
            Assert.Contains($"{tag} is already in the Docker engine", second.Stderr);
            var changed = Run.Tinyrun(dir.Path, "again.tiny.csx", "--load", "-v", "--arg", "v=2");
            Assert.Contains($"loaded {tag} into the Docker engine", changed.Stderr);
            // With --tag the engine is asked before the recipe is evaluated; the answer is the same.
            Assert.Contains($"{tag} is already in the Docker engine", Run.Tinyrun(dir.Path, "again.tiny.csx", "--load", "-v", "--tag", tag, "--arg", "v=2").Stderr);
            var changedTagged = Run.Tinyrun(dir.Path, "again.tiny.csx", "--load", "-v", "--tag", tag, "--arg", "v=3");
            Assert.Contains($"loaded {tag} into the Docker engine", changedTagged.Stderr);
            Run.Docker("rmi", Run.Docker("image", "inspect", "--format", "{{.Id}}", tag).Stdout.Trim()); // v=3's; v=2's goes below
            changed = Run.Tinyrun(dir.Path, "again.tiny.csx", "--load", "-v", "--tag", tag, "--arg", "v=2");
            Assert.Contains($"loaded {tag} into the Docker engine", changed.Stderr);
            var id = Run.Docker("image", "inspect", "--format", "{{.Id}}", tag).Stdout.Trim();
            Assert.Contains(id, Run.Tinyrun(dir.Path, "inspect", "out/again.tar", "--no-files").Stdout + " " +
                ImageArchive.Read(dir.Combine("out/again.tar")).DockerManifest.GetProperty("Config").GetString()!.Replace("blobs/sha256/", "sha256:"));
        }
        finally
        {
            // The first image lost its name to the second; without -f the engine keeps it if anything else names it.
            Run.Docker("rmi", firstId);
        }
    }

    [Fact]
    public void Finding17_A_zstd_image_loads_into_an_engine_older_than_23_as_the_load_sends_plain_layers()
    {
        // Docker before 23 refuses zstd layers (it answers 200 and puts the refusal in its JSON stream, which
        // EngineLoadTests checks). --load sends each layer as its plain tar, so a zstd build loads and runs there too.
        var engine = Run.Docker("version", "--format", "{{.Server.Version}}").Stdout.Trim();
        Assert.True(int.TryParse(engine.Split('.')[0], out var major) && major < 23,
            $"this test needs an engine that refuses zstd layers (Docker before 23, as Debian's docker.io 20.10); this one is {engine}");
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("zstd");
        dir.Write("zstd.tiny.csx", $"From.Scratch().AddBinary(\"/bin/dash\", \"/bin/sh\").WithLibs().AddText(\"/etc/zstd\", \"plain\\n\").Tag(\"{tag}\")\n");

        var build = Run.Tinyrun(dir.Path, "zstd.tiny.csx", "--compression", "zstd", "--load");

        Assert.True(build.ExitCode == 0, build.ToString());
        var members = TinyImage.Tests.Layers.TarInspection.ReadEntries(File.ReadAllBytes(dir.Combine("out/zstd.tar")));
        using var manifest = System.Text.Json.JsonDocument.Parse(members.Single(m => m.Entry.Name == "manifest.json").Data);
        var config = manifest.RootElement[0].GetProperty("Config").GetString()!;
        Assert.Contains("\"application/vnd.oci.image.layer.v1.tar+zstd\"", System.Text.Encoding.UTF8.GetString(members.Single(m => m.Entry.Name == "index.json").Data) +
            string.Concat(members.Where(m => m.Entry.Name.StartsWith("blobs/", StringComparison.Ordinal) && m.Data.Length < 4096).Select(m => System.Text.Encoding.UTF8.GetString(m.Data))));
        Assert.Equal(config.Replace("blobs/sha256/", "sha256:"),
            Run.Docker("image", "inspect", "--format", "{{.Id}}", tag).Stdout.Trim());
        var run = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", tag, "/bin/sh", "-c", "read line < /etc/zstd && echo $line");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("plain\n", run.Stdout);
    }

    [Fact]
    public void The_scratch_image_loads_and_has_size_0()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var empty = images.Tag("empty");
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/scratch.tiny.csx", "--tag", empty, "--output", dir.Combine("empty.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var load = Run.Docker("load", "-i", dir.Combine("empty.tar"));
        Assert.True(load.ExitCode == 0, load.ToString());
        var size = Run.Docker("image", "inspect", "--format", "{{.Size}}", empty);
        Assert.True(size.ExitCode == 0, size.ToString());
        Assert.Equal("0", size.Stdout.Trim());
    }

    [Fact]
    public async Task Hello_web_answers_on_loopback_with_the_seed_text()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var web = images.Tag("hello-web");
        var goCache = new Dictionary<string, string> { ["GOCACHE"] = Path.Combine(TestRunCache.Directory, "go-build") }; // not the user's ~/.cache/go-build
        var build = Run.Tinyrun(goCache, Run.RepoRoot, "recipes/hello-web.tiny.csx", "--load", "--tag", web, "--output", dir.Combine("web.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());

        var port = FreeLoopbackPort();
        var name = $"tinyimage-web-{port}";
        var start = Run.Docker("run", "-d", "--rm", "--name", name, "--network", "host", "-e", $"PORT={port}", web);
        Assert.True(start.ExitCode == 0, start.ToString());
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            for (var attempt = 0; attempt < 50 && body is null; attempt++)
            {
                try { body = await http.GetStringAsync($"http://127.0.0.1:{port}/"); }
                catch (HttpRequestException) { await Task.Delay(100); }
            }
            Assert.Equal("Hello World from Go in minimal Docker container\n", body);
        }
        finally
        {
            Run.Docker("rm", "-f", name);
        }
    }

    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
