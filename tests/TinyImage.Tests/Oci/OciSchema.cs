namespace TinyImage.Tests.Oci;

/// <summary>
/// Validates JSON documents against the OCI image-spec JSON schemas that Debian's
/// <c>golang-github-opencontainers-image-spec-dev</c> installs, with Debian's python3-jsonschema (draft-04, as the
/// schemas are written; every <c>$ref</c> is resolved to a file of the local schema directory, never fetched).
/// </summary>
internal static class OciSchema
{
    public const string Directory = "/usr/share/gocode/src/github.com/opencontainers/image-spec/schema";
    public const string Config = "config-schema.json";
    public const string Manifest = "image-manifest-schema.json";
    public const string Index = "image-index-schema.json";
    public const string Layout = "image-layout-schema.json";

    private const string Script = """
        import json, os, sys, urllib.parse
        import jsonschema
        schema_dir = sys.argv[1]
        def load(uri):
            with open(os.path.join(schema_dir, os.path.basename(urllib.parse.urlparse(uri).path)), encoding="utf-8") as f:
                return json.load(f)
        handlers = {"https": load, "http": load, "file": load}
        failed = 0
        for pair in sys.argv[2:]:
            schema_name, document = pair.split("=", 1)
            schema = load(schema_name)
            resolver = jsonschema.RefResolver(base_uri=schema.get("id", ""), referrer=schema, handlers=handlers)
            validator = jsonschema.Draft4Validator(schema, resolver=resolver)
            with open(document, encoding="utf-8") as f:
                errors = list(validator.iter_errors(json.load(f)))
            for e in errors:
                print(f"{document}: {schema_name}: {e.message} at {list(e.absolute_path)}")
            failed += len(errors)
        print("valid" if failed == 0 else f"{failed} errors")
        sys.exit(1 if failed else 0)
        """;

    /// <summary>Validates each (schema file name, document path); fails the test with every error found.</summary>
    public static async Task ValidateAsync(params (string Schema, string Document)[] documents)
    {
        Assert.True(File.Exists(Path.Combine(Directory, Config)),
            $"the OCI image-spec schemas are not in {Directory}: install them (apt-get install golang-github-opencontainers-image-spec-dev, or scripts/install-test-deps.sh)");
        var (exitCode, stdout, stderr) = await ExternalTool.DebianPython.TryRunAsync(
            ["-c", Script, Directory, .. documents.Select(d => $"{d.Schema}={d.Document}")]);
        if (stderr.Contains("No module named 'jsonschema'", StringComparison.Ordinal))
            Assert.Fail($"python3-jsonschema is missing: {ExternalTool.DebianPython.HowToGetIt}");
        Assert.True(exitCode == 0, $"schema validation failed:\n{stdout}\n{stderr}");
        Assert.Equal("valid", stdout.Trim());
    }

    /// <summary>Validates every JSON document of an extracted image layout: oci-layout, index.json, and each manifest and config it reaches.</summary>
    public static async Task ValidateLayoutAsync(string layout)
    {
        var documents = new List<(string, string)> { (Layout, Path.Combine(layout, "oci-layout")), (Index, Path.Combine(layout, "index.json")) };
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        foreach (var manifest in index.RootElement.GetProperty("manifests").EnumerateArray())
        {
            var manifestPath = BlobPath(layout, manifest.GetProperty("digest").GetString()!);
            documents.Add((Manifest, manifestPath));
            using var parsed = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            documents.Add((Config, BlobPath(layout, parsed.RootElement.GetProperty("config").GetProperty("digest").GetString()!)));
        }
        await ValidateAsync([.. documents]);
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
}
