using System.Net;
using System.Net.Sockets;
using System.Text;
using TinyImage.Core;
using TinyImage.Core.Sinks;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Sinks;

/// <summary>
/// Issue 10, item 5: <c>--load</c> streams the archive to the engine's load endpoint over plain HTTP (no Docker.DotNet),
/// on the unix socket or tcp://; the engine's image ID is the archive's config digest, and refusals are one line.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class EngineLoadTests
{
    [Fact]
    public void The_loaded_image_has_the_archive_config_digest_as_its_id_and_runs_without_docker_dotnet_started()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("ls");
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--load", "-v", "--tag", tag, "--output", dir.Combine("ls.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains($"loaded {tag} into the Docker engine", build.Stderr);
        Assert.Contains("docker.dotnet: not loaded", build.Stderr);

        var config = ImageArchive.Read(dir.Combine("ls.tar")).DockerManifest.GetProperty("Config").GetString()!;
        var id = Run.Docker("image", "inspect", "--format", "{{.Id}}", tag);
        Assert.True(id.ExitCode == 0, id.ToString());
        Assert.Equal(config.Replace("blobs/sha256/", "sha256:"), id.Stdout.Trim());
        var ls = Run.Docker("run", "--rm", "--network", "none", tag, "/bin/bash", "-c", "ls /bin");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal(["bash", "ls"], ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_corrupt_archive_the_engine_refuses_is_one_line_naming_the_archive()
    {
        using var dir = new TempDirectory();
        var garbage = dir.Combine("garbage.tar");
        var bytes = new byte[3 << 20]; // larger than what an engine reads of a body it gave up on
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(garbage, bytes);
        Assert.True(Run.Docker("version").ExitCode == 0);
        using var engine = new DockerDaemon();

        var error = await Assert.ThrowsAsync<TinyImageException>(() => engine.LoadAsync(garbage, hasZstdLayers: false, CancellationToken.None));

        Assert.StartsWith($"the Docker engine at {engine.Endpoint} refused {garbage}: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void An_engine_on_tcp_that_answers_the_load_with_an_error_is_one_line_with_its_message_and_exit_1()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"refused:1\")\n");
        using var engine = new FakeEngine(HttpStatusCode.InternalServerError, "{\"message\":\"write /var/lib/docker/tmp/x: no space left on device\"}");

        var result = Run.Tinyrun(new Dictionary<string, string>
        {
            ["TINYRUN_CACHE"] = dir.Combine("cache"), ["DOCKER_HOST"] = $"tcp://127.0.0.1:{engine.Port}",
        }, dir.Path, "r.tiny.csx", "--load");

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.Equal($"tinyrun: the Docker engine at tcp://127.0.0.1:{engine.Port} refused refused:1: " +
                     "write /var/lib/docker/tmp/x: no space left on device; the archive out/refused.tar was written but not loaded", line);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal(["GET /images/refused:1/json", "POST /images/load?quiet=1"], engine.Requests);
        // The engine was sent the archive's image, made as it was sent: the empty directory that opened the load before
        // the image was built (the engine had no image of that name), manifest.json, the config, and each layer as its
        // plain tar, named by its diff_id (the archive's config lists them).
        var archive = ImageArchive.Read(dir.Combine("out/refused.tar"));
        var sent = TarInspection.ReadEntries(engine.LoadedBody);
        var diffIds = archive.Config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => "blobs/sha256/" + d.GetString()!["sha256:".Length..]);
        Assert.Equal(["tinyrun/", "manifest.json", archive.DockerManifest.GetProperty("Config").GetString()!, .. diffIds], sent.Select(e => e.Entry.Name));
        Assert.All(sent.Skip(2), e => Assert.Equal(e.Entry.Name["blobs/sha256/".Length..], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(e.Data))));
    }

    [Fact]
    public void Finding17_An_engine_that_answers_200_and_refuses_in_its_message_stream_is_one_line_and_exit_1()
    {
        // Docker answers /images/load with 200 and reports a refusal inside the JSON stream; tinyrun once said "(loaded into Docker)".
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(HttpStatusCode.OK, "{\"errorDetail\":{\"message\":\"unexpected EOF\"},\"error\":\"unexpected EOF\"}");
        dir.Write("r.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"refused:2\")\n");

        var build = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache"), ["DOCKER_HOST"] = $"tcp://127.0.0.1:{engine.Port}" }, dir.Path, "r.tiny.csx", "--load");

        Assert.True(build.ExitCode == 1, build.ToString());
        Assert.DoesNotContain("loaded into Docker", build.Stdout);
        Assert.Equal($"tinyrun: the Docker engine at tcp://127.0.0.1:{engine.Port} refused refused:2: unexpected EOF; the archive out/refused.tar was written but not loaded",
            build.Stderr.TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void A_load_is_opened_while_the_recipe_is_evaluated_when_the_engine_has_no_image_of_that_name()
    {
        // Docker starts unpacking a load at its first bytes (a process of its own, ~45 ms), so the first entry goes
        // before the image is built. The recipe waits for the engine to have received it: without the early opening it
        // would wait in vain.
        using var dir = new TempDirectory();
        var opened = dir.Combine("opened");
        using var engine = new FakeEngine(HttpStatusCode.OK, "{\"stream\":\"Loaded image: early:1\\n\"}", onLoadBegun: () => File.WriteAllText(opened, ""));
        dir.Write("r.tiny.csx", WaitingFor(opened, """
            if (!System.IO.File.Exists(opened)) throw new Exception("the load was not opened before the image was built");
            From.Scratch().AddText("/a", "a");
            """));

        var build = LoadThrough(engine, dir, "early:1");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("loaded early:1 into the Docker engine", build.Stderr + build.Stdout);
        Assert.Equal(["tinyrun/", "manifest.json"], TarInspection.ReadEntries(engine.LoadedBody).Take(2).Select(e => e.Entry.Name));
    }

    [Fact]
    public void A_load_is_not_opened_early_when_the_engine_has_an_image_of_that_name()
    {
        // That image may be the one being built, and a load opened for it would be wasted (~40 ms of a skipped load):
        // the load waits for the image, and starts with manifest.json.
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(HttpStatusCode.OK, "{\"stream\":\"Loaded image: named:1\\n\"}",
            imageId: "sha256:" + new string('0', 64));
        dir.Write("r.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\");\n");

        var build = LoadThrough(engine, dir, "named:1");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal("manifest.json", TarInspection.ReadEntries(engine.LoadedBody)[0].Entry.Name);
        Assert.Equal(["GET /images/named:1/json", "POST /images/load?quiet=1"], engine.Requests);
    }

    [Fact]
    public void A_load_opened_for_an_image_whose_build_fails_is_ended_as_an_archive_of_no_image()
    {
        // Not cut off in the middle (the engine would log an unexpected end), and nothing is loaded.
        using var dir = new TempDirectory();
        var opened = dir.Combine("opened");
        using var engine = new FakeEngine(HttpStatusCode.OK, "{}", onLoadBegun: () => File.WriteAllText(opened, ""));
        dir.Write("r.tiny.csx", WaitingFor(opened, """
            From.Scratch().AddFile("does-not-exist", "/a");
            """));

        var build = LoadThrough(engine, dir, "failed:1");

        Assert.True(build.ExitCode == 1, build.ToString());
        Assert.Contains("does-not-exist", build.Stderr);
        Assert.True(File.Exists(opened), "the load was not opened");
        var sent = TarInspection.ReadEntries(engine.LoadedBody);
        Assert.Equal(["tinyrun/", "manifest.json"], sent.Select(e => e.Entry.Name));
        Assert.Equal("[]", Encoding.UTF8.GetString(sent[1].Data));
        Assert.Equal(["GET /images/failed:1/json", "POST /images/load?quiet=1"], engine.Requests);
    }

    [Fact]
    public void A_load_opened_early_whose_connection_is_dropped_while_the_image_is_built_is_sent_again()
    {
        // A proxy in front of a remote engine may close a connection that stays idle while a long build runs, and an
        // engine may be restarted meanwhile: the image is then loaded in a load of its own, not given up.
        using var dir = new TempDirectory();
        var opened = dir.Combine("opened");
        using var engine = new FakeEngine(HttpStatusCode.OK, "{\"stream\":\"Loaded image: dropped:1\\n\"}",
            onLoadBegun: () => File.WriteAllText(opened, ""), dropFirstLoad: true);
        dir.Write("r.tiny.csx", WaitingFor(opened, """
            System.Threading.Thread.Sleep(200); // the connection is closed by now
            From.Scratch().AddText("/a", "a");
            """));

        var build = LoadThrough(engine, dir, "dropped:1");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("loaded dropped:1 into the Docker engine", build.Stderr + build.Stdout);
        Assert.Equal(["GET /images/dropped:1/json", "POST /images/load?quiet=1", "POST /images/load?quiet=1"], engine.Requests);
        var archive = ImageArchive.Read(dir.Combine("out/dropped.tar"));
        var sent = TarInspection.ReadEntries(engine.LoadedBody);
        Assert.Equal(["manifest.json", archive.DockerManifest.GetProperty("Config").GetString()!], sent.Take(2).Select(e => e.Entry.Name));
    }

    [Fact]
    public void A_load_is_opened_early_when_the_engine_has_the_last_build_of_the_image_and_a_file_of_it_changed()
    {
        // The edit-build-run loop: the engine has the image the last build loaded under the name, and the build gives
        // another, as a file it copies changed since; the load is opened while the image is built, as for a new name.
        using var dir = new TempDirectory();
        dir.Write("app.txt", "version 1");
        var opened = dir.Combine("opened");
        File.WriteAllText(opened, ""); // the first build need not wait; the recipe stays as it is, so only app.txt changes
        var lastId = LoadOnce(dir, "loop:1", WaitingFor(opened, AddsApp));
        File.Delete(opened);
        dir.Write("app.txt", "version 2, longer");
        using var engine = new FakeEngine(HttpStatusCode.OK, "{\"stream\":\"Loaded image: loop:1\\n\"}", onLoadBegun: () => File.WriteAllText(opened, ""), imageId: lastId);

        var build = LoadThrough(engine, dir, "loop:1");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("loaded loop:1 into the Docker engine", build.Stderr + build.Stdout);
        Assert.Equal(["tinyrun/", "manifest.json"], TarInspection.ReadEntries(engine.LoadedBody).Take(2).Select(e => e.Entry.Name));
        Assert.Equal(["GET /images/loop:1/json", "POST /images/load?quiet=1"], engine.Requests);
    }

    [Fact]
    public void A_build_whose_files_are_as_its_last_load_left_them_opens_no_load_and_skips_it()
    {
        using var dir = new TempDirectory();
        dir.Write("app.txt", "version 1");
        var lastId = LoadOnce(dir, "same:1");
        using var engine = new FakeEngine(HttpStatusCode.OK, "{}", imageId: lastId);

        var build = LoadThrough(engine, dir, "same:1");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("same:1 is already in the Docker engine", build.Stderr + build.Stdout);
        Assert.Equal(["GET /images/same:1/json", "GET /images/same:1/json"], engine.Requests);
    }

    [Fact]
    public void A_load_opened_on_a_wrong_guess_is_ended_with_no_image_and_the_load_skipped()
    {
        // A file touched but not changed: its stamp says it changed, so the load is opened; the image is the engine's.
        using var dir = new TempDirectory();
        dir.Write("app.txt", "version 1");
        var lastId = LoadOnce(dir, "touched:1");
        File.SetLastWriteTimeUtc(dir.Combine("app.txt"), DateTime.UtcNow.AddMinutes(-5));
        using var engine = new FakeEngine(HttpStatusCode.OK, "{}", imageId: lastId);

        var build = LoadThrough(engine, dir, "touched:1");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("touched:1 is already in the Docker engine", build.Stderr + build.Stdout);
        var sent = TarInspection.ReadEntries(engine.LoadedBody);
        Assert.Equal(["tinyrun/", "manifest.json"], sent.Select(e => e.Entry.Name));
        Assert.Equal("[]", Encoding.UTF8.GetString(sent[1].Data));
        Assert.Equal(["GET /images/touched:1/json", "GET /images/touched:1/json", "POST /images/load?quiet=1"], engine.Requests.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Tinyrun_cache_lists_the_load_history_and_prune_removes_that_of_recipes_that_are_gone()
    {
        using var dir = new TempDirectory();
        dir.Write("app.txt", "version 1");
        LoadOnce(dir, "listed:1");

        var shown = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") }, dir.Path, "cache");

        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains($"\n  load history: {dir.Combine("cache/loads")}  ", shown.Stdout);

        File.Delete(dir.Combine("r.tiny.csx"));
        var pruned = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") }, dir.Path, "cache", "prune");
        Assert.True(pruned.ExitCode == 0, pruned.ToString());
        Assert.Contains("\nremoved 1 load record of recipes that are gone (", pruned.Stdout);
        Assert.Empty(Directory.GetFiles(dir.Combine("cache/loads")));
    }

    private const string AddsApp = "From.Scratch().AddFile(\"app.txt\", \"/app.txt\");";

    /// <summary>
    /// Builds and loads <paramref name="recipe"/> (by default, one copying app.txt) in <paramref name="dir"/>, as <paramref name="tag"/>, into an engine
    /// that had no image of that name; returns the image ID it loaded (the config digest).
    /// </summary>
    private static string LoadOnce(TempDirectory dir, string tag, string recipe = AddsApp + "\n")
    {
        dir.Write("r.tiny.csx", recipe);
        using var engine = new FakeEngine(HttpStatusCode.OK, "{}");
        var build = LoadThrough(engine, dir, tag);
        Assert.True(build.ExitCode == 0, build.ToString());
        var config = ImageArchive.Read(dir.Combine($"out/{tag.Split(':')[0]}.tar")).DockerManifest.GetProperty("Config").GetString()!;
        return "sha256:" + config["blobs/sha256/".Length..];
    }

    /// <summary>A recipe that waits (up to a minute) for the file <paramref name="path"/>, named <c>opened</c> in it, then goes on with <paramref name="rest"/>.</summary>
    private static string WaitingFor(string path, string rest) => $$"""
        var opened = "{{path}}";
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!System.IO.File.Exists(opened) && DateTime.UtcNow < until) System.Threading.Thread.Sleep(10);
        {{rest}}
        """;

    /// <summary><c>tinyrun r.tiny.csx --load --tag <paramref name="tag"/></c> in <paramref name="dir"/>, against <paramref name="engine"/>.</summary>
    private static ProcessResult LoadThrough(FakeEngine engine, TempDirectory dir, string tag) =>
        Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache"), ["DOCKER_HOST"] = $"tcp://127.0.0.1:{engine.Port}" },
            dir.Path, "r.tiny.csx", "--load", "--tag", tag);

    /// <summary>
    /// An engine on 127.0.0.1 that knows no image (404), or has <c>imageId</c> under every name, and answers a load with
    /// <c>status</c> and <c>body</c>, after reading the whole archive; <c>onLoadBegun</c> runs when the first bytes of a
    /// load have come.
    /// </summary>
    private sealed class FakeEngine : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;
        private readonly List<string> _requests = [];

        private readonly Action? _onLoadBegun;
        private readonly string? _imageId;

        /// <summary>Whether the first load's connection is yet to be closed after its first bytes, as an idle proxy would.</summary>
        private bool _dropFirstLoad;

        public FakeEngine(HttpStatusCode status, string body, Action? onLoadBegun = null, string? imageId = null, bool dropFirstLoad = false)
        {
            _onLoadBegun = onLoadBegun;
            _imageId = imageId;
            _dropFirstLoad = dropFirstLoad;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _serving = Task.Run(() => ServeAsync(status, body));
        }

        public int Port { get; }

        /// <summary>The body of the last load: the archive the engine was sent.</summary>
        public byte[] LoadedBody { get; private set; } = [];

        public IReadOnlyList<string> Requests { get { lock (_requests) return [.. _requests]; } }

        private async Task ServeAsync(HttpStatusCode status, string body)
        {
            try
            {
                while (true)
                {
                    // Each connection on its own, as an engine serves a load opened early beside the questions after it.
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(async () =>
                    {
                        using (client) await ServeClientAsync(client.GetStream(), status, body);
                    });
                }
            }
            catch (OperationCanceledException) { }
        }

        /// <summary>Answers the requests of one connection until it ends (or is dropped).</summary>
        private async Task ServeClientAsync(NetworkStream stream, HttpStatusCode status, string body)
        {
            try
            {
                while (await ReadHeadAsync(stream) is { } head)
                {
                    var requestLine = head.Split("\r\n")[0];
                    lock (_requests) _requests.Add(requestLine[..requestLine.LastIndexOf(' ')]);
                    var chunked = head.Contains("\r\nTransfer-Encoding: chunked\r\n", StringComparison.OrdinalIgnoreCase);
                    var length = head.Split("\r\n").Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        .Select(h => long.Parse(h["Content-Length:".Length..].Trim())).FirstOrDefault();
                    var received = new MemoryStream();
                    if (chunked)
                    {
                        // Chunks: a hex size line, the data, CRLF; a 0 size ends the body.
                        while (await ReadLineAsync(stream) is { } sizeLine && Convert.ToInt64(sizeLine, 16) is var size and > 0)
                        {
                            if (!await CopyAsync(stream, received, size) || await ReadLineAsync(stream) != "") return;
                            if (received.Length == size && requestLine.StartsWith("POST", StringComparison.Ordinal))
                            {
                                _onLoadBegun?.Invoke();
                                if (_dropFirstLoad)
                                {
                                    _dropFirstLoad = false;
                                    return;
                                }
                            }
                        }
                        await ReadLineAsync(stream);
                    }
                    else if (!await CopyAsync(stream, received, length)) return;
                    if (requestLine.StartsWith("POST", StringComparison.Ordinal)) LoadedBody = received.ToArray();
                    var (code, text) = requestLine.StartsWith("POST", StringComparison.Ordinal) ? (status, body)
                        : _imageId is not null ? (HttpStatusCode.OK, $"{{\"Id\":\"{_imageId}\"}}")
                        : (HttpStatusCode.NotFound, "{\"message\":\"No such image\"}");
                    var answer = Encoding.UTF8.GetBytes(text);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 {(int)code} {code}\r\nContent-Type: application/json\r\nContent-Length: {answer.Length}\r\n\r\n"));
                    await stream.WriteAsync(answer);
                }
            }
            catch (IOException) { }
        }

        private static async Task<bool> CopyAsync(NetworkStream stream, Stream to, long count)
        {
            var buffer = new byte[64 * 1024];
            for (var left = count; left > 0;)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)));
                if (read == 0) return false;
                to.Write(buffer, 0, read);
                left -= read;
            }
            return true;
        }

        private static async Task<string?> ReadLineAsync(NetworkStream stream)
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one) == 0 || line.Length > 1024) return null;
                line.Append((char)one[0]);
            }
            return line.ToString()[..^2];
        }

        /// <summary>The request line and headers, up to the blank line; null at the end of the connection.</summary>
        private static async Task<string?> ReadHeadAsync(NetworkStream stream)
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one) == 0 || head.Length > 64 * 1024) return null;
                head.Append((char)one[0]);
            }
            return head.ToString();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try { _serving.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
            _stop.Dispose();
        }
    }
}
