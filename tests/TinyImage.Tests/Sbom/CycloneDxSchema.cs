using System.Text.Json;
using Json.Schema;

namespace TinyImage.Tests.Sbom;

/// <summary>The CycloneDX 1.5 JSON schema (vendored in Schemas/), with the SPDX license-id and JSF schemas it refers to.</summary>
internal static class CycloneDxSchema
{
    /// <summary>The schema's errors for <paramref name="document"/>, as "location: message" lines; empty when it is valid.</summary>
    public static List<string> Errors(byte[] document)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "Sbom", "Schemas");
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        foreach (var referenced in new[] { "spdx.schema.json", "jsf-0.82.schema.json" })
            options.SchemaRegistry.Register(JsonSchema.FromFile(Path.Combine(directory, referenced), options));
        var schema = JsonSchema.FromFile(Path.Combine(directory, "bom-1.5.schema.json"), options);
        using var json = JsonDocument.Parse(document);
        var result = schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        return [.. (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")).DefaultIfEmpty("invalid, without details")];
    }
}
