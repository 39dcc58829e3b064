using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TinyImage.Runner;
using TinyImage.Tests.Integration;
using Xunit.Abstractions;

namespace TinyImage.Tests.Security;

/// <summary>
/// Issue 8, finding 13 (the recipe cache): a damaged index (<c>"Sources": null</c>, any wrong type or shape, broken
/// JSON) is a cache miss, never a crash. A fuzz test over the index parser with a fixed seed: a few thousand inputs in
/// every run, <c>TINYIMAGE_FUZZ_ITERATIONS</c> more outside CI.
/// </summary>
public sealed class RecipeCacheIndexFuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 5000;

    [Fact]
    public void An_index_that_is_a_fifo_is_a_miss_and_cache_and_prune_pass_it_by_instead_of_waiting_on_it()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"index:2\")\n");
        var cache = dir.Combine("cache");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache };
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, "r.tiny.csx", "--quiet").ExitCode);
        var index = Assert.Single(Directory.GetFiles(cache, "*.json"));
        File.Delete(index);
        Assert.Equal(0, Run.Process("mkfifo", [index]).ExitCode);

        var timeout = TimeSpan.FromSeconds(60);
        var rerun = Run.Process("dotnet", [Run.TinyrunDll, "r.tiny.csx", "--verbose"], dir.Path, env, timeout);
        File.Delete(index);
        Assert.Equal(0, Run.Process("mkfifo", [index]).ExitCode); // the rerun stored its index beside it, by rename
        var shown = Run.Process("dotnet", [Run.TinyrunDll, "cache"], dir.Path, env, timeout);
        var pruned = Run.Process("dotnet", [Run.TinyrunDll, "cache", "prune"], dir.Path, env, timeout);

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Contains("compiling the recipe (not in the cache)", rerun.Stderr);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("  compiled recipes: ", shown.Stdout);
        Assert.True(pruned.ExitCode == 0, pruned.ToString());
    }

    [Fact]
    public void Finding13_IndexWithNullSourcesIsAMissNotACrash()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"index:1\")\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, "r.tiny.csx", "--quiet").ExitCode);
        var index = Assert.Single(Directory.GetFiles(dir.Combine("cache"), "*.json"));
        var json = JsonNode.Parse(File.ReadAllText(index))!;
        json["Sources"] = null;
        File.WriteAllText(index, json.ToJsonString());

        var rerun = Run.Tinyrun(env, dir.Path, "r.tiny.csx", "--verbose");

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Contains("compiling the recipe (not in the cache)", rerun.Stderr);
        Assert.Contains("recipe from the cache", Run.Tinyrun(env, dir.Path, "r.tiny.csx", "--verbose").Stderr); // rewritten whole
    }

    [Fact]
    public void Finding13_FuzzedIndexesAreAMissNeverACrash()
    {
        var iterations = Environment.GetEnvironmentVariable("TINYIMAGE_FUZZ_ITERATIONS") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture) : DefaultIterations;
        var random = new Random(20260813);
        var seeds = new[] { Seed(1), Seed(3) };
        Assert.NotNull(CacheIndex.TryParse(seeds[0])); // the fuzzer starts from valid indexes
        int parsed = 0, missed = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var input = Mutate(seeds[random.Next(seeds.Length)], random);
            CacheIndex? index;
            try
            {
                index = CacheIndex.TryParse(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} threw {e.GetType().Name}: {e.Message}\ninput: {Encoding.UTF8.GetString(input)}");
                throw;
            }
            if (index is null) { missed++; continue; }
            parsed++;
            // What is accepted is whole: everything TryGet then uses is there and well formed.
            Assert.NotNull(index.Toolchain);
            Assert.Matches("^[0-9a-f]{64}$", index.Assembly);
            Assert.NotEmpty(index.Sources);
            Assert.All(index.Sources, s => { Assert.True(Path.IsPathFullyQualified(s.Path)); Assert.Matches("^[0-9a-f]{64}$", s.Sha256); });
        }
        output.WriteLine($"{iterations} mutated indexes in {clock.Elapsed.TotalSeconds:0.0} s: {parsed} accepted whole, {missed} misses, 0 crashes");
    }

    private static byte[] Seed(int sources) =>
        new CacheIndex(1, "toolchain/roslyn 5.0/runtime 10.0", new string('a', 64),
            [.. Enumerable.Range(0, sources).Select(i => new CacheSource($"/src/recipe{i}.tiny.csx", new string((char)('0' + i), 64)))]).ToJson();

    /// <summary>One to three mutations: of the JSON's structure (a value of another type, a missing or renamed field) or of its bytes.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed;
        for (var n = random.Next(1, 4); n > 0; n--)
            bytes = random.Next(2) == 0 ? MutateStructure(bytes, random) ?? MutateBytes(bytes, random) : MutateBytes(bytes, random);
        return bytes;
    }

    private static readonly string[] Replacements =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "2147483648", "\"\"", "\"x\"", "\"relative/path\"", "\"/a\\u0000b\"",
        "[]", "{}", "[null]", "[1,2]", "{\"Path\":null}", "{\"Path\":\"/a\",\"Sha256\":null}", "{\"Sha256\":[]}",
        "\"" + new string('A', 64) + "\"", "\"" + new string('f', 63) + "\"", new string('[', 100) + new string(']', 100),
    ];

    private static byte[]? MutateStructure(byte[] bytes, Random random)
    {
        JsonNode? root;
        var nodes = new List<JsonNode>();
        try
        {
            root = JsonNode.Parse(bytes);
            if (root is null) return null;
            Collect(root, nodes);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException) // not JSON, not UTF-8 in a string, a key twice
        {
            return null;
        }
        var target = nodes[random.Next(nodes.Count)];
        var replacement = JsonNode.Parse(Replacements[random.Next(Replacements.Length)], documentOptions: new JsonDocumentOptions { MaxDepth = 200 });
        switch (target.Parent)
        {
            case null:
                return Encoding.UTF8.GetBytes(replacement?.ToJsonString() ?? "null");
            case JsonObject parent:
                var name = target.GetPropertyName();
                switch (random.Next(4))
                {
                    case 0: parent.Remove(name); break;
                    case 1: parent.Remove(name); parent[name.ToLowerInvariant()] = replacement; break;
                    default: parent[name] = replacement; break;
                }
                break;
            case JsonArray array:
                var at = target.GetElementIndex();
                if (random.Next(3) == 0) array.RemoveAt(at);
                else array[at] = replacement;
                break;
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject o) foreach (var (_, child) in o) { if (child is not null) Collect(child, nodes); }
        if (node is JsonArray a) foreach (var child in a) { if (child is not null) Collect(child, nodes); }
    }

    private const string Punctuation = "{}[]\",:0-en\\";

    private static byte[] MutateBytes(byte[] bytes, Random random)
    {
        var result = new List<byte>(bytes);
        if (result.Count == 0) return [(byte)random.Next(256)];
        switch (random.Next(4))
        {
            case 0: // overwrite a few bytes, with JSON punctuation half the time
                for (var k = random.Next(1, 5); k > 0; k--)
                    result[random.Next(result.Count)] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)Punctuation[random.Next(Punctuation.Length)];
                break;
            case 1: // truncate
                result = result.Take(random.Next(result.Count)).ToList();
                break;
            case 2: // delete a run
                var start = random.Next(result.Count);
                result.RemoveRange(start, Math.Min(result.Count - start, random.Next(1, 16)));
                break;
            default: // insert a run of random bytes
                result.InsertRange(random.Next(result.Count + 1), Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256)));
                break;
        }
        return [.. result];
    }
}
