// A minimal web API in the manner of dotnet-docker's "releasesapi" sample: JSON about .NET releases.
using System.Text.Json.Serialization;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ReleasesJson.Default));
var app = builder.Build();

Release[] releases =
[
    new("10.0", new DateOnly(2025, 11, 11), "LTS"),
    new("9.0", new DateOnly(2024, 11, 12), "STS"),
    new("8.0", new DateOnly(2023, 11, 14), "LTS"),
];
app.MapGet("/releases", () => releases);
app.Run();

internal sealed record Release(string Version, DateOnly Released, string Support);

[JsonSerializable(typeof(Release[]))]
internal sealed partial class ReleasesJson : JsonSerializerContext;
