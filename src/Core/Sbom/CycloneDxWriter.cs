using System.Text.Json;

namespace TinyImage.Core.Sbom;

/// <summary>
/// An <see cref="SbomDocument"/> as CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/): the image as the
/// metadata's container component; the distribution, the packages (with purls and licenses) and the application as
/// components, each holding its files (containment is nesting in CycloneDX); and each file's dependencies on the files it loads.
/// </summary>
public static class CycloneDxWriter
{
    private const string ImageRef = "image";

    public static byte[] Write(SbomDocument document) => SbomJson.Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("bomFormat", "CycloneDX");
        json.WriteString("specVersion", "1.5");
        json.WriteString("serialNumber", SerialNumber(document.Digest));
        json.WriteNumber("version", 1);
        json.WriteStartObject("metadata");
        json.WriteString("timestamp", SbomJson.Time(document.Created));
        json.WriteStartObject("tools");
        json.WriteStartArray("components");
        json.WriteStartObject();
        json.WriteString("type", "application");
        json.WriteString("name", "tinyrun");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("component");
        json.WriteString("type", "container");
        json.WriteString("bom-ref", ImageRef);
        json.WriteString("name", document.Name);
        json.WriteString("version", document.Digest);
        WriteProperties(json, ("tinyimage:architecture", document.Architecture));
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartArray("components");
        if (document.Os is { } os)
        {
            json.WriteStartObject();
            json.WriteString("type", "operating-system");
            json.WriteString("bom-ref", "os:" + os.Id);
            json.WriteString("name", os.Id);
            if (os.VersionId is { } version) json.WriteString("version", version);
            if (os.PrettyName is { } pretty) json.WriteString("description", pretty);
            json.WriteEndObject();
        }
        foreach (var package in document.Packages)
        {
            json.WriteStartObject();
            json.WriteString("type", "library");
            json.WriteString("bom-ref", package.Purl);
            json.WriteString("name", package.Name);
            json.WriteString("version", package.Version);
            if (package.License is { } license)
            {
                json.WriteStartArray("licenses");
                json.WriteStartObject();
                json.WriteString("expression", license);
                json.WriteEndObject();
                json.WriteEndArray();
            }
            json.WriteString("purl", package.Purl);
            WriteProperties(json, ("tinyimage:architecture", package.Architecture), ("tinyimage:source", package.SourceName));
            WriteFiles(json, document.Files.Where(f => f.Package == package));
            json.WriteEndObject();
        }
        if (document.HasApplicationFiles)
        {
            json.WriteStartObject();
            json.WriteString("type", "application");
            json.WriteString("bom-ref", "application");
            json.WriteString("name", document.ShortName);
            WriteFiles(json, document.Files.Where(f => f.Application));
            json.WriteEndObject();
        }
        foreach (var file in document.Files.Where(f => f.Package is null && !f.Application)) WriteFile(json, file);
        json.WriteEndArray();

        json.WriteStartArray("dependencies");
        json.WriteStartObject();
        json.WriteString("ref", ImageRef);
        json.WriteStartArray("dependsOn");
        if (document.Os is { } system) json.WriteStringValue("os:" + system.Id);
        foreach (var package in document.Packages) json.WriteStringValue(package.Purl);
        if (document.HasApplicationFiles) json.WriteStringValue("application");
        json.WriteEndArray();
        json.WriteEndObject();
        foreach (var file in document.Files.Where(f => f.DependsOn.Count > 0))
        {
            json.WriteStartObject();
            json.WriteString("ref", FileRef(file.Path));
            json.WriteStartArray("dependsOn");
            foreach (var dependency in file.DependsOn) json.WriteStringValue(FileRef(dependency));
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    });

    /// <summary><c>file:/usr/bin/curl</c>: a file's bom-ref.</summary>
    public static string FileRef(string path) => "file:" + path;

    /// <summary>A version-5-shaped UUID made of the image digest: the same image, the same serial number.</summary>
    private static string SerialNumber(string digest)
    {
        var hex = SbomJson.ShortHash(digest) + SbomJson.ShortHash("cyclonedx " + digest);
        var chars = hex.ToCharArray();
        chars[12] = '5';
        chars[16] = "89ab"[Convert.ToInt32(chars[16].ToString(), 16) & 3];
        var text = new string(chars);
        return $"urn:uuid:{text[..8]}-{text[8..12]}-{text[12..16]}-{text[16..20]}-{text[20..32]}";
    }

    private static void WriteFiles(Utf8JsonWriter json, IEnumerable<SbomFile> files)
    {
        var list = files.ToList();
        if (list.Count == 0) return;
        json.WriteStartArray("components");
        foreach (var file in list) WriteFile(json, file);
        json.WriteEndArray();
    }

    private static void WriteFile(Utf8JsonWriter json, SbomFile file)
    {
        json.WriteStartObject();
        json.WriteString("type", "file");
        json.WriteString("bom-ref", FileRef(file.Path));
        json.WriteString("name", file.Path);
        json.WriteStartArray("hashes");
        foreach (var (algorithm, value) in new[] { ("SHA-1", file.Sha1), ("SHA-256", file.Sha256) })
        {
            json.WriteStartObject();
            json.WriteString("alg", algorithm);
            json.WriteString("content", value);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteProperties(Utf8JsonWriter json, params (string Name, string? Value)[] properties)
    {
        json.WriteStartArray("properties");
        foreach (var (name, value) in properties.Where(p => p.Value is not null))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("value", value);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
