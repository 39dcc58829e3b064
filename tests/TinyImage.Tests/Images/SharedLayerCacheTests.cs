using System.Text.Json;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Registry;

namespace TinyImage.Tests.Images;

/// <summary><c>--cache-repo</c>: compressed layers shared between machines (here: two empty caches) through a registry repository.</summary>
public sealed class SharedLayerCacheTests
{
    private static Dictionary<string, string> Machine(TempDirectory dir, string name)
    {
        var cache = dir.Combine(name);
        Directory.CreateDirectory(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache };
    }

    private static string Digest(ProcessResult build)
    {
        Assert.True(build.ExitCode == 0, build.ToString());
        return build.Stdout.Split("  ")[1];
    }

    [Fact]
    public async Task A_second_machine_downloads_the_layers_the_first_compressed_and_uploads_nothing()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var dir = new TempDirectory();
        var cacheRepo = $"{registry.Address}/tinyrun-cache";
        var first = Run.Tinyrun(Machine(dir, "a"), Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--cache-repo", cacheRepo, "-o", dir.Combine("a.tar"), "-v");
        var digest = Digest(first);
        Assert.Contains("uploaded", first.Stderr);

        var second = Run.Tinyrun(Machine(dir, "b"), Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--cache-repo", cacheRepo, "-o", dir.Combine("b.tar"), "-v");
        Assert.Equal(digest, Digest(second));
        Assert.Equal(3, second.Stderr.Split('\n').Count(l => l.Contains("downloaded")));
        Assert.DoesNotContain("uploaded", second.Stderr);
        Assert.DoesNotContain("stored as", second.Stderr);
        Assert.Equal(File.ReadAllBytes(dir.Combine("a.tar")), File.ReadAllBytes(dir.Combine("b.tar")));
    }

    [Fact]
    public async Task A_shared_entry_that_is_another_layer_is_not_used_and_an_unreachable_cache_is_a_warning()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var dir = new TempDirectory();
        var cacheRepo = $"{registry.Address}/tinyrun-cache";
        var digest = Digest(Run.Tinyrun(Machine(dir, "a"), Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--cache-repo", cacheRepo, "-o", dir.Combine("a.tar")));

        // Someone with write access to the cache repository points every entry at another entry's layer.
        using var client = new RegistryClient(registry.ClientOptions());
        var tags = JsonDocument.Parse(Run.Process("skopeo", ["list-tags", "--tls-verify=false", $"docker://{cacheRepo}"]).Stdout)
            .RootElement.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()!).Order().ToList();
        Assert.Equal(3, tags.Count);
        var manifests = new List<RegistryManifest>();
        foreach (var tag in tags) manifests.Add(await client.GetManifestAsync(registry.Reference($"tinyrun-cache:{tag}"), CancellationToken.None));
        for (var i = 0; i < tags.Count; i++)
            await client.PutManifestAsync(registry.Reference($"tinyrun-cache:{tags[i]}"), manifests[(i + 1) % tags.Count].MediaType, manifests[(i + 1) % tags.Count].Bytes, CancellationToken.None);

        var second = Run.Tinyrun(Machine(dir, "b"), Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--cache-repo", cacheRepo, "-o", dir.Combine("b.tar"));
        Assert.Equal(digest, Digest(second));

        registry.Stop();
        var offline = Run.Tinyrun(Machine(dir, "c"), Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--cache-repo", cacheRepo, "-o", dir.Combine("c.tar"));
        Assert.Equal(digest, Digest(offline));
        Assert.Single(offline.Stderr.Split('\n'), l => l.StartsWith("tinyrun: warning: the shared layer cache", StringComparison.Ordinal) && l.Contains("cannot be reached"));
    }
}
