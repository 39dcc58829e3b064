using System.Text;
using System.Text.Json;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Registry;

namespace TinyImage.Tests.Images;

/// <summary>
/// <c>tinyrun --push</c> and <c>From.Image</c> against Debian's docker-registry on 127.0.0.1, checked with the Docker
/// engine (<c>docker pull</c>, <c>docker run --network none</c>) and skopeo.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class PushRecipeTests
{
    /// <summary>Removes from the engine what a test pulled from its registry (whose port dies with it).</summary>
    private static void RemoveFromEngine(params string[] references) => Run.Process("docker", ["rmi", "-f", .. references]);

    private static string PushedDigest(ProcessResult push, string repository)
    {
        Assert.True(push.ExitCode == 0, push.ToString());
        var line = push.Stdout.Trim().Split('\n')[^1];
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(repository)}@sha256:[0-9a-f]{{64}}$", line);
        return line[(line.IndexOf('@') + 1)..];
    }

    [Fact]
    public async Task Push_of_bash_ls_prints_the_digest_that_docker_pulls_and_runs_and_a_second_push_uploads_nothing()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var dir = new TempDirectory();
        var reference = $"{registry.Address}/ls:1";
        var push = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--tag", reference, "--push", "-o", dir.Combine("ls.tar"));
        var digest = PushedDigest(push, $"{registry.Address}/ls");
        try
        {
            var skopeo = Run.Process("skopeo", ["inspect", "--tls-verify=false", $"docker://{reference}"]);
            Assert.True(skopeo.ExitCode == 0, skopeo.ToString());
            Assert.Equal(digest, JsonDocument.Parse(skopeo.Stdout).RootElement.GetProperty("Digest").GetString());
            Assert.True(Run.Docker("pull", reference).ExitCode == 0);
            var ls = Run.Docker("run", "--rm", "--network", "none", reference, "/bin/bash", "-c", "ls /bin");
            Assert.True(ls.ExitCode == 0, ls.ToString());
            Assert.Equal("bash\nls\n", ls.Stdout);

            var again = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--tag", reference, "--push", "-o", dir.Combine("ls.tar"), "-v");
            Assert.Equal(digest, PushedDigest(again, $"{registry.Address}/ls"));
            // The tag names this manifest already: no blob is asked about or sent, no manifest stored again.
            Assert.DoesNotContain(": blob ", again.Stderr);
            Assert.DoesNotContain("stored as", again.Stderr);
            Assert.DoesNotContain("uploaded", again.Stderr);
            Assert.DoesNotContain("mounted", again.Stderr);
        }
        finally
        {
            RemoveFromEngine(reference);
        }
    }

    [Fact]
    public async Task Push_to_a_registry_with_htpasswd_uses_the_docker_login_credentials_and_a_wrong_password_is_one_line()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        using var dir = new TempDirectory();
        var dockerConfig = dir.Combine("docker-config");
        Directory.CreateDirectory(dockerConfig);
        var login = Run.Process("docker", ["--config", dockerConfig, "login", registry.Address, "-u", LocalRegistry.Username, "--password-stdin"],
            environment: new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerConfig }, stdin: LocalRegistry.Password);
        Assert.True(login.ExitCode == 0, login.ToString());
        var environment = new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerConfig };
        var reference = $"{registry.Address}/team/ls:1";
        var push = Run.Tinyrun(environment, Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--tag", reference, "--push", "-o", dir.Combine("ls.tar"));
        var digest = PushedDigest(push, $"{registry.Address}/team/ls");
        var skopeo = Run.Process("skopeo", ["inspect", "--tls-verify=false", .. registry.SkopeoCredentials, $"docker://{reference}"]);
        Assert.Equal(digest, JsonDocument.Parse(skopeo.Stdout).RootElement.GetProperty("Digest").GetString());

        var wrong = dir.Combine("wrong-config");
        Directory.CreateDirectory(wrong);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalRegistry.Username}:not-the-password"));
        File.WriteAllText(Path.Combine(wrong, "config.json"), "{\"auths\":{\"" + registry.Address + "\":{\"auth\":\"" + auth + "\"}}}");
        var refused = Run.Tinyrun(new Dictionary<string, string> { ["DOCKER_CONFIG"] = wrong }, Run.RepoRoot,
            "recipes/bash-ls.tiny.csx", "--tag", reference, "--push", "-o", dir.Combine("ls2.tar"), "-q");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("", refused.Stdout);
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.Contains(registry.Address, refused.Stderr);

        // The registry is asked (and refuses) while the recipe is evaluated; a recipe that fails is what is said.
        dir.Write("fails.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\");\nthrow new InvalidOperationException(\"recipe says no\");\n");
        var failing = Run.Tinyrun(new Dictionary<string, string> { ["DOCKER_CONFIG"] = wrong }, dir.Path,
            "fails.tiny.csx", "--tag", reference, "--push", "-q");
        Assert.Equal(1, failing.ExitCode);
        Assert.Equal("", failing.Stdout);
        Assert.Equal("tinyrun: fails.tiny.csx(2): the recipe threw InvalidOperationException: recipe says no", failing.Stderr.Trim());
    }

    [Fact]
    public async Task A_recipe_from_a_pushed_image_runs_rebuilds_offline_and_a_docker_save_of_it_is_read_by_inspect_and_from_archive()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var dir = new TempDirectory();
        var baseReference = $"{registry.Address}/ls:1";
        PushedDigest(Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--tag", baseReference, "--push", "-o", dir.Combine("ls.tar")), $"{registry.Address}/ls");

        var cache = dir.Combine("cache"); // its own cache, so the offline build below can only have what this test pulled
        Directory.CreateDirectory(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache };
        var tag = $"{registry.Address}/hello:1";
        dir.Write("hello.tiny.csx", $"From.Image(\"{baseReference}\").AddText(\"/hello.txt\", \"hi\").AddBinary(\"/bin/cat\").Cmd(\"/bin/bash\", \"-c\", \"cat /hello.txt\").Tag(\"{tag}\")");
        var build = Run.Tinyrun(environment, dir.Path, "hello.tiny.csx", "--push", "-v");
        var digest = PushedDigest(build, $"{registry.Address}/hello");
        Assert.Contains("mounted from ls", build.Stderr); // the base's layers were not uploaded again
        try
        {
            Assert.True(Run.Docker("pull", tag).ExitCode == 0);
            var run = Run.Docker("run", "--rm", "--network", "none", tag);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("hi", run.Stdout);

            var baseDigest = JsonDocument.Parse(Run.Process("skopeo", ["inspect", "--tls-verify=false", $"docker://{baseReference}"]).Stdout).RootElement.GetProperty("Digest").GetString();
            dir.Write("pinned.tiny.csx", $"From.Image(\"{registry.Address}/ls@{baseDigest}\").AddText(\"/hello.txt\", \"hi\").Tag(\"pinned:1\")");
            Assert.True(Run.Tinyrun(environment, dir.Path, "pinned.tiny.csx", "-o", dir.Combine("pinned.tar")).ExitCode == 0);

            registry.Stop();
            var offline = Run.Tinyrun(environment, dir.Path, "hello.tiny.csx", "-o", dir.Combine("offline.tar"));
            Assert.True(offline.ExitCode == 0, offline.ToString());
            Assert.Contains(digest, offline.Stdout);
            // Said at every verbosity: the image may be older than what the tag names now.
            Assert.Contains($"tinyrun: warning: {registry.Address}/ls:1: the registry cannot be reached (", offline.Stderr);
            Assert.Contains("building on the image this tag named when it was last pulled (sha256:", offline.Stderr);
            // Once per tag, not once per image built on it.
            dir.Write("twice.tiny.csx", $"From.Image(\"{baseReference}\").AddText(\"/1\", \"1\").Tag(\"one:1\");\nFrom.Image(\"{baseReference}\").AddText(\"/2\", \"2\").Tag(\"two:1\");\n");
            var twice = Run.Tinyrun(environment, dir.Path, "twice.tiny.csx", "-o", dir.Combine("twice"));
            Assert.True(twice.ExitCode == 0, twice.ToString());
            Assert.Single(twice.Stderr.Split('\n'), l => l.StartsWith("tinyrun: warning:", StringComparison.Ordinal));
            // By digest, the registry is not even asked: no retries, no warning.
            var pinned = Run.Tinyrun(environment, dir.Path, "pinned.tiny.csx", "-o", dir.Combine("pinned.tar"), "-v");
            Assert.True(pinned.ExitCode == 0, pinned.ToString());
            Assert.DoesNotContain("trying again", pinned.Stderr);

            Assert.True(Run.Docker("save", "-o", dir.Combine("saved.tar"), tag).ExitCode == 0);
            var inspect = Run.Tinyrun(dir.Path, "inspect", "saved.tar");
            Assert.True(inspect.ExitCode == 0, inspect.ToString());
            Assert.Contains("/hello.txt", inspect.Stdout);
            Assert.Contains("/bin/bash", inspect.Stdout);
            var onSaved = images();
            dir.Write("onsaved.tiny.csx", $"From.Archive(\"saved.tar\").AddText(\"/bye.txt\", \"bye\").Cmd(\"/bin/bash\", \"-c\", \"cat /hello.txt /bye.txt\").Tag(\"{onSaved}\")");
            var fromArchive = Run.Tinyrun(dir.Path, "onsaved.tiny.csx", "--load", "-o", dir.Combine("onsaved.tar"));
            Assert.True(fromArchive.ExitCode == 0, fromArchive.ToString());
            var both = Run.Docker("run", "--rm", "--network", "none", onSaved);
            RemoveFromEngine(onSaved);
            Assert.Equal("hibye", both.Stdout);
        }
        finally
        {
            RemoveFromEngine(tag);
        }

        static string images() => $"tinyimage-test-{Guid.NewGuid():N}"[..28] + "/onsaved:t";
    }

    [Fact]
    public async Task A_two_platform_push_gives_an_index_that_docker_pull_platform_resolves()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var dir = new TempDirectory();
        var tag = $"{registry.Address}/multi:1";
        dir.Write("multi.tiny.csx", $"From.Scratch().AddText(\"/etc/motd\", \"hello\").Platforms(\"linux/amd64,linux/arm64\").Tag(\"{tag}\")");
        var push = Run.Tinyrun(dir.Path, "multi.tiny.csx", "--push");
        var digest = PushedDigest(push, $"{registry.Address}/multi");
        var raw = Run.Process("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{tag}"]);
        Assert.True(raw.ExitCode == 0, raw.ToString());
        var index = JsonDocument.Parse(raw.Stdout).RootElement;
        Assert.Equal("application/vnd.oci.image.index.v1+json", index.GetProperty("mediaType").GetString());
        Assert.Equal(["amd64", "arm64"], index.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()));
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(raw.Stdout))));
        var pulled = new List<string>(); // image IDs: a second pull of the tag leaves the first image without a name
        try
        {
            foreach (var architecture in new[] { "arm64", "amd64" })
            {
                var pull = Run.Docker("pull", "--platform", $"linux/{architecture}", tag);
                Assert.True(pull.ExitCode == 0, pull.ToString());
                pulled.Add(Run.Docker("image", "inspect", "--format", "{{.Id}}", tag).Stdout.Trim());
                Assert.Equal(architecture, Run.Docker("image", "inspect", "--format", "{{.Architecture}}", tag).Stdout.Trim());
            }
            // The same index as an OCI layout.
            var layout = Run.Tinyrun(dir.Path, "multi.tiny.csx", "--format", "oci-dir", "-o", dir.Combine("layout"));
            Assert.True(layout.ExitCode == 0, layout.ToString());
            Assert.Contains(digest, layout.Stdout);
            var copy = Run.Process("skopeo", ["inspect", "--raw", $"oci:{dir.Combine("layout")}:1"]);
            Assert.Equal(raw.Stdout, copy.Stdout);

            // From.Image of the index: --platform picks the image, and the base layer is that platform's.
            dir.Write("on-multi.tiny.csx", $"From.Image(\"{tag}\").AddText(\"/b\", \"b\").Tag(\"on-multi:1\")");
            var arm = Run.Tinyrun(dir.Path, "on-multi.tiny.csx", "--platform", "linux/arm64", "--format", "oci-dir", "-o", dir.Combine("on-multi"));
            Assert.True(arm.ExitCode == 0, arm.ToString());
            var armManifest = index.GetProperty("manifests")[1].GetProperty("digest").GetString()!;
            var armLayer = JsonDocument.Parse(Run.Process("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Address}/multi@{armManifest}"]).Stdout)
                .RootElement.GetProperty("layers")[0].GetProperty("digest").GetString();
            var built = JsonDocument.Parse(Run.Process("skopeo", ["inspect", $"oci:{dir.Combine("on-multi")}:1"]).Stdout).RootElement;
            Assert.Equal("arm64", built.GetProperty("Architecture").GetString());
            Assert.Equal(armLayer, built.GetProperty("Layers")[0].GetString());
        }
        finally
        {
            RemoveFromEngine([tag, .. pulled]);
        }
    }
}
