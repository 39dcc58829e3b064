using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Dotnet;

/// <summary>
/// What an app's <c>NAME.deps.json</c> says that matters here: the names of its libraries (projects and NuGet
/// packages, e.g. <c>System.Net.Http.Json/10.0.0</c>), and the files of the runtime pack a self-contained app carries,
/// which are the runtime's, not the app's.
/// </summary>
public sealed record DepsFile
{
    /// <summary>The largest deps.json read: a self-contained app's is about 40 KB, a large app's a few MB.</summary>
    public const int MaxBytes = 32 << 20;

    /// <summary>Library names without versions: <c>Newtonsoft.Json</c>, <c>runtimepack.Microsoft.NETCore.App.Runtime.linux-x64</c>.</summary>
    public ImmutableArray<string> Libraries { get; init; } = [];

    /// <summary>The paths (relative to the app, '/'-separated) of the runtime packs' assemblies and native files.</summary>
    public ImmutableHashSet<string> RuntimePackFiles { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>Reads the deps.json at <paramref name="hostPath"/>.</summary>
    public static DepsFile Read(string hostPath) => Parse(RegularFile.ReadAllBytes(hostPath, MaxBytes), hostPath);

    /// <summary>Parses deps.json text; <paramref name="name"/> is the file, for messages.</summary>
    public static DepsFile Parse(ReadOnlyMemory<byte> json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(json, PublishedJson.Options);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("targets", out var targets) || targets.ValueKind != JsonValueKind.Object)
                throw new TinyImageException($"{name}: has no \"targets\" object; publish the app again with dotnet publish");
            var types = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("libraries", out var libraries) && libraries.ValueKind == JsonValueKind.Object)
                foreach (var library in libraries.EnumerateObject())
                    types[library.Name] = library.Value.ValueKind == JsonValueKind.Object && library.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            var names = new SortedSet<string>(StringComparer.Ordinal);
            var runtimePack = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            foreach (var target in targets.EnumerateObject().Where(t => t.Value.ValueKind == JsonValueKind.Object))
                foreach (var library in target.Value.EnumerateObject())
                {
                    names.Add(library.Name.Split('/')[0]);
                    if (types.GetValueOrDefault(library.Name) != "runtimepack" || library.Value.ValueKind != JsonValueKind.Object) continue;
                    foreach (var group in new[] { "runtime", "native" })
                        if (library.Value.TryGetProperty(group, out var files) && files.ValueKind == JsonValueKind.Object)
                            foreach (var file in files.EnumerateObject()) runtimePack.Add(file.Name);
                }
            return new DepsFile { Libraries = [.. names], RuntimePackFiles = runtimePack.ToImmutable() };
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"{name}: not valid JSON ({e.Message}); publish the app again with dotnet publish", e);
        }
    }

    /// <summary>
    /// The deps.json <paramref name="json"/> without the assets (files under a library's <c>runtime</c>, <c>native</c> or
    /// <c>resources</c>, relative to the directory of the deps.json) named in <paramref name="removed"/>: the host puts every
    /// runtime asset of the deps.json on the app's list of trusted assemblies, so files left out of an image are taken
    /// out of its deps.json too. Everything else is kept as it is, in its order.
    /// </summary>
    public static byte[] WithoutAssets(ReadOnlyMemory<byte> json, IReadOnlySet<string> removed, string name)
    {
        var document = PublishedJson.ParseObject(json, "targets", name);
        var targets = (JsonObject)document["targets"]!;
        foreach (var target in targets.Select(t => t.Value).OfType<JsonObject>())
            foreach (var library in target.Select(l => l.Value).OfType<JsonObject>())
                foreach (var group in new[] { "runtime", "native", "resources" })
                    if (library[group] is JsonObject files)
                        foreach (var file in files.Select(f => f.Key).Where(removed.Contains).ToList())
                            files.Remove(file);
        return PublishedJson.Write(document);
    }
}
