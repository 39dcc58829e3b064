using System.Collections.Immutable;
using System.Text.Json;
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
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 32 });
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
}
