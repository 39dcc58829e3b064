using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Dotnet;

/// <summary>
/// What an app's <c>NAME.runtimeconfig.json</c> says (the host's format: docs/design/features/host-runtime-information.md
/// in dotnet/runtime): the frameworks it runs on (<c>framework</c>, <c>frameworks</c>), or those it includes
/// (<c>includedFrameworks</c>, self-contained), the roll-forward policy, and the run-time switches that decide what
/// the runtime opens (invariant globalization, invariant time zones).
/// </summary>
public sealed record RuntimeConfig
{
    /// <summary>The largest runtimeconfig read: real ones are a few hundred bytes.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The shared frameworks the app runs on; empty for a self-contained app.</summary>
    public ImmutableArray<FrameworkReference> Frameworks { get; init; } = [];

    /// <summary>The frameworks a self-contained app carries with it; empty for a framework-dependent one.</summary>
    public ImmutableArray<FrameworkReference> IncludedFrameworks { get; init; } = [];

    /// <summary><c>rollForward</c>: Minor (the default), LatestPatch, Major, LatestMinor, LatestMajor or Disable.</summary>
    public string RollForward { get; init; } = "Minor";

    /// <summary><c>System.Globalization.Invariant</c> (InvariantGlobalization): the runtime never loads ICU.</summary>
    public bool InvariantGlobalization { get; init; }

    /// <summary><c>System.TimeZoneInfo.Invariant</c> (InvariantTimezone): only UTC, no time zone data read.</summary>
    public bool InvariantTimezone { get; init; }

    /// <summary>Every <c>configProperties</c> entry (run-time switches such as <c>System.GC.Server</c>), each value as its JSON text.</summary>
    public ImmutableSortedDictionary<string, string> Properties { get; init; } = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Reads the runtimeconfig at <paramref name="hostPath"/>.</summary>
    /// <exception cref="TinyImageException">It is larger than <see cref="MaxBytes"/> or not such a document.</exception>
    public static RuntimeConfig Read(string hostPath) => Parse(RegularFile.ReadAllBytes(hostPath, MaxBytes), hostPath);

    /// <summary>Parses runtimeconfig text; <paramref name="name"/> is the file, for messages.</summary>
    public static RuntimeConfig Parse(ReadOnlyMemory<byte> json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(json, PublishedJson.Options);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("runtimeOptions", out var options) || options.ValueKind != JsonValueKind.Object)
                throw new TinyImageException($"{name}: has no \"runtimeOptions\" object; publish the app again with dotnet publish");
            var frameworks = ReadFrameworks(options, "frameworks", name);
            if (options.TryGetProperty("framework", out var single))
                frameworks = frameworks.Insert(0, Framework(single, name));
            var properties = options.TryGetProperty("configProperties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            return new RuntimeConfig
            {
                Frameworks = frameworks,
                IncludedFrameworks = ReadFrameworks(options, "includedFrameworks", name),
                RollForward = options.TryGetProperty("rollForward", out var roll) && roll.ValueKind == JsonValueKind.String ? roll.GetString()! : "Minor",
                InvariantGlobalization = IsTrue(properties, "System.Globalization.Invariant"),
                InvariantTimezone = IsTrue(properties, "System.TimeZoneInfo.Invariant"),
                // A name given twice: the last one, as the host reads it.
                Properties = properties.ValueKind == JsonValueKind.Object
                    ? properties.EnumerateObject().Aggregate(ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal), (all, p) => all.SetItem(p.Name, p.Value.GetRawText()))
                    : ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal),
            };
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"{name}: not valid JSON ({e.Message}); publish the app again with dotnet publish", e);
        }
    }

    /// <summary>
    /// The runtimeconfig <paramref name="json"/> with the <paramref name="added"/> properties (values as JSON text) in its
    /// <c>configProperties</c> where it does not set them already; everything else as it is, in its order.
    /// </summary>
    public static byte[] WithProperties(ReadOnlyMemory<byte> json, IReadOnlyDictionary<string, string> added, string name)
    {
        var document = PublishedJson.ParseObject(json, "runtimeOptions", name);
        var options = (JsonObject)document["runtimeOptions"]!;
        if (options["configProperties"] is not JsonObject properties)
            options["configProperties"] = properties = [];
        foreach (var (key, value) in added)
            if (!properties.ContainsKey(key)) properties[key] = JsonNode.Parse(value);
        return PublishedJson.Write(document);
    }

    private static ImmutableArray<FrameworkReference> ReadFrameworks(JsonElement options, string property, string name)
    {
        if (!options.TryGetProperty(property, out var list)) return [];
        if (list.ValueKind != JsonValueKind.Array)
            throw new TinyImageException($"{name}: \"{property}\" is not a list; publish the app again with dotnet publish");
        return [.. list.EnumerateArray().Select(f => Framework(f, name))];
    }

    private static FrameworkReference Framework(JsonElement framework, string name) =>
        framework.ValueKind == JsonValueKind.Object
        && framework.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } frameworkName
        && framework.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } version
            ? new FrameworkReference(frameworkName, version)
            : throw new TinyImageException($"{name}: a framework without a \"name\" and \"version\"; publish the app again with dotnet publish");

    // The host accepts true and "true" for boolean properties.
    private static bool IsTrue(JsonElement properties, string property) =>
        properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property, out var value)
        && (value.ValueKind == JsonValueKind.True || (value.ValueKind == JsonValueKind.String && string.Equals(value.GetString(), "true", StringComparison.OrdinalIgnoreCase)));
}
