using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using Xunit.Abstractions;

namespace TinyImage.Tests.Registry;

/// <summary>
/// Issue 10: what a registry sends is parsed defensively. Mutated manifests and indexes give their content or a
/// <see cref="TinyImageException"/>; mutated token answers and error bodies give a value or null; never another exception.
/// A fixed seed and a small budget in every run; TINYIMAGE_FUZZ_ITERATIONS=N for a longer one.
/// </summary>
public sealed class RegistryJsonFuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 3000;

    private static readonly string[] Replacements =
    [
        "null", "true", "0", "-1", "1.5", "1e400", "9223372036854775808", "\"\"", "\"x\"", "\"sha256:" + new string('0', 64) + "\"",
        "\"sha256:ABC\"", "\"a\\u0000b\"", "\"\\ud800\"", "[]", "{}", "[null]", "{\"digest\":null}", "{\"size\":-5}",
        "\"application/vnd.oci.image.index.v1+json\"", "\"" + new string('x', 5000) + "\"", new string('[', 70) + new string(']', 70),
    ];

    [Fact]
    public void MutatedRegistryJson_IsReadOrRefusedCleanly()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("TINYIMAGE_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : DefaultIterations;
        var random = new Random(20261129);
        var layer = $"{{\"mediaType\":\"{MediaTypes.LayerGzip}\",\"digest\":\"sha256:{new string('1', 64)}\",\"size\":10}}";
        var manifest = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"sha256:{new string('2', 64)}\",\"size\":5}},\"layers\":[{layer},{layer}]}}");
        var index = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{RegistryMediaTypes.DockerManifestList}\",\"manifests\":[{{\"mediaType\":\"{RegistryMediaTypes.DockerManifest}\",\"digest\":\"sha256:{new string('3', 64)}\",\"size\":7,\"platform\":{{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}}}]}}");
        var token = "{\"token\":\"abc.def.ghi\",\"access_token\":\"abc.def.ghi\",\"expires_in\":300,\"issued_at\":\"2026-11-29T00:00:00Z\"}"u8.ToArray();
        var error = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{\"Type\":\"repository\"}]}]}"u8.ToArray();
        // The seeds are read whole: the fuzzer starts from valid documents.
        Assert.Equal(2, Parse(manifest, MediaTypes.ImageManifest)!.Layers.Length);
        Assert.Equal("v8", Parse(index, RegistryMediaTypes.DockerManifestList)!.Manifests.Single().Variant);
        Assert.Equal("abc.def.ghi", RegistryAnswers.Token(token)?.Token);
        Assert.Equal("UNAUTHORIZED: authentication required", RegistryAnswers.Error(error));

        int documents = 0, refused = 0, tokens = 0, errors = 0;
        for (var i = 0; i < iterations; i++)
        {
            var (seed, kind) = (i % 4) switch { 0 => (manifest, "manifest"), 1 => (index, "index"), 2 => (token, "token"), _ => (error, "error") };
            var input = Mutate(seed, random);
            try
            {
                switch (kind)
                {
                    case "manifest" or "index":
                        if (Parse(input, kind == "index" ? MediaTypes.ImageIndex : MediaTypes.ImageManifest) is { } content)
                        {
                            documents++;
                            Assert.All(content.Layers.Concat(content.Manifests.Select(m => m.Descriptor)), d => Assert.True(d.Size >= 0 && d.Digest != default));
                        }
                        else refused++;
                        break;
                    case "token":
                        if (RegistryAnswers.Token(input) is { } answer)
                        {
                            tokens++;
                            Assert.DoesNotContain(answer.Token, c => c < 0x21 || c > 0x7e); // safe in a header
                            Assert.InRange(answer.ExpiresIn, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
                        }
                        break;
                    default:
                        if (RegistryAnswers.Error(input) is { } message)
                        {
                            errors++;
                            Assert.DoesNotContain(message, char.IsControl); // fit for a one-line message
                            Assert.True(message.Length <= 201, message);
                        }
                        break;
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"input {i} ({kind}) threw {e.GetType().Name}: {e.Message}\ninput: {Encoding.UTF8.GetString(input)}");
            }
        }
        output.WriteLine($"{iterations} inputs: {documents} manifests/indexes read, {refused} refused, {tokens} tokens, {errors} error messages; 0 crashes");
    }

    /// <summary>The content, or null when refused with a one-line <see cref="TinyImageException"/>.</summary>
    private static ManifestContent? Parse(byte[] bytes, string mediaType)
    {
        try
        {
            return ManifestContent.Parse(new RegistryManifest(mediaType, bytes, Digest.Compute(bytes)), "127.0.0.1:5000/app:1");
        }
        catch (TinyImageException e)
        {
            Assert.DoesNotContain('\n', e.Message);
            return null;
        }
    }

    /// <summary>One to three mutations: a JSON value replaced or removed, or bytes changed, cut, dropped or inserted.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed;
        for (var k = random.Next(1, 4); k > 0; k--)
            bytes = random.Next(2) == 0 && ReplaceValue(bytes, random) is { } structural ? structural : ChangeBytes(bytes, random);
        return bytes;
    }

    private static byte[]? ReplaceValue(byte[] bytes, Random random)
    {
        JsonNode? root;
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? node)
        {
            if (node is null) return;
            nodes.Add(node);
            if (node is JsonObject o) foreach (var (_, child) in o.ToList()) Walk(child);
            if (node is JsonArray a) foreach (var child in a.ToList()) Walk(child);
        }
        try
        {
            root = JsonNode.Parse(bytes);
            Walk(root); // member names are decoded here: not UTF-8, or a name twice, throws
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
        if (root is null || nodes.Count < 2) return null;
        var target = nodes[random.Next(1, nodes.Count)];
        var replacement = JsonNode.Parse(Replacements[random.Next(Replacements.Length)], documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 100 });
        if (target.Parent is JsonObject parent)
        {
            var name = target.GetPropertyName();
            if (random.Next(4) == 0) parent.Remove(name);
            else parent[name] = replacement;
        }
        else if (target.Parent is JsonArray array)
        {
            array[target.GetElementIndex()] = replacement;
        }
        try
        {
            return Encoding.UTF8.GetBytes(root.ToJsonString());
        }
        catch (InvalidOperationException)
        {
            return null; // a lone surrogate the writer will not write
        }
    }

    private const string Punctuation = "{}[]\",:\\0e-";

    private static byte[] ChangeBytes(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return [(byte)random.Next(256)];
        var at = random.Next(bytes.Length);
        return random.Next(4) switch
        {
            0 => [.. bytes[..at], (byte)Punctuation[random.Next(Punctuation.Length)], .. bytes[(at + 1)..]],
            1 => bytes[..at],
            2 => [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + random.Next(1, 12))..]],
            _ => [.. bytes[..at], .. Enumerable.Range(0, random.Next(1, 6)).Select(_ => (byte)random.Next(256)), .. bytes[at..]],
        };
    }
}
