using System.Text.Json;
using System.Text.RegularExpressions;

namespace TinyImage.Core.Sbom;

/// <summary>
/// An <see cref="SbomDocument"/> as SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): the image, its distribution,
/// its packages and the application as packages, every regular file with SHA-1 and SHA-256, and the relationships
/// (the document DESCRIBES the image; the image CONTAINS each package; a package CONTAINS its files; a file DEPENDS_ON
/// the files it loads).
/// </summary>
public static partial class SpdxWriter
{
    private const string NoAssertion = "NOASSERTION";
    private const string ImageId = "SPDXRef-Image";
    private const string OsId = "SPDXRef-OperatingSystem";
    private const string ApplicationId = "SPDXRef-Application";

    public static byte[] Write(SbomDocument document) => SbomJson.Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("spdxVersion", "SPDX-2.3");
        json.WriteString("dataLicense", "CC0-1.0");
        json.WriteString("SPDXID", "SPDXRef-DOCUMENT");
        json.WriteString("name", document.Name);
        json.WriteString("documentNamespace", $"https://tinyimage.invalid/spdx/{Uri.EscapeDataString(document.ShortName)}-{document.Digest.Replace("sha256:", "", StringComparison.Ordinal)}");
        json.WriteStartObject("creationInfo");
        json.WriteStartArray("creators");
        json.WriteStringValue("Tool: tinyrun");
        json.WriteEndArray();
        json.WriteString("created", SbomJson.Time(document.Created));
        json.WriteEndObject();

        json.WriteStartArray("packages");
        WritePackage(json, ImageId, document.Name, document.Digest, "CONTAINER", purl: null, license: null, source: null);
        if (document.Os is { } os) WritePackage(json, OsId, os.Id, os.VersionId, "OPERATING-SYSTEM", purl: null, license: null, source: null);
        if (document.HasApplicationFiles) WritePackage(json, ApplicationId, document.ShortName, null, "APPLICATION", purl: null, license: null, source: null);
        foreach (var package in document.Packages)
            WritePackage(json, PackageId(package), package.Name, package.Version, null, package.Purl, package.License ?? NoAssertion,
                package.SourceName is { } source ? $"built package from: {source}" : null);
        json.WriteEndArray();

        json.WriteStartArray("files");
        foreach (var file in document.Files)
        {
            json.WriteStartObject();
            json.WriteString("SPDXID", FileId(file.Path));
            json.WriteString("fileName", "." + file.Path);
            json.WriteStartArray("checksums");
            WriteChecksum(json, "SHA1", file.Sha1);
            WriteChecksum(json, "SHA256", file.Sha256);
            json.WriteEndArray();
            json.WriteString("licenseConcluded", NoAssertion);
            json.WriteString("copyrightText", NoAssertion);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        var references = document.Packages.Select(p => p.License).OfType<string>()
            .SelectMany(l => LicenseReference().Matches(l).Select(m => m.Value)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (references.Count > 0)
        {
            json.WriteStartArray("hasExtractedLicensingInfos");
            foreach (var reference in references)
            {
                json.WriteStartObject();
                json.WriteString("licenseId", reference);
                json.WriteString("name", reference["LicenseRef-".Length..]);
                json.WriteString("extractedText", $"A license a Debian copyright file (/usr/share/doc/PACKAGE/copyright) names '{reference["LicenseRef-".Length..]}', which has no SPDX identifier; its text is in that file.");
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }

        json.WriteStartArray("relationships");
        WriteRelationship(json, "SPDXRef-DOCUMENT", "DESCRIBES", ImageId);
        if (document.Os is not null) WriteRelationship(json, ImageId, "CONTAINS", OsId);
        if (document.HasApplicationFiles) WriteRelationship(json, ImageId, "CONTAINS", ApplicationId);
        foreach (var package in document.Packages) WriteRelationship(json, ImageId, "CONTAINS", PackageId(package));
        foreach (var file in document.Files)
            WriteRelationship(json, file.Package is { } package ? PackageId(package) : file.Application ? ApplicationId : ImageId, "CONTAINS", FileId(file.Path));
        foreach (var file in document.Files)
            foreach (var dependency in file.DependsOn)
                WriteRelationship(json, FileId(file.Path), "DEPENDS_ON", FileId(dependency));
        json.WriteEndArray();
        json.WriteEndObject();
    });

    /// <summary><c>SPDXRef-Package-deb-libc6-amd64</c>.</summary>
    public static string PackageId(SbomPackage package) => $"SPDXRef-Package-deb-{SbomJson.IdPart(package.Name)}-{SbomJson.IdPart(package.Architecture)}";

    /// <summary><c>SPDXRef-File-</c> and a hash of the path: stable, and valid whatever characters the path has.</summary>
    public static string FileId(string path) => "SPDXRef-File-" + SbomJson.ShortHash(path);

    private static void WritePackage(Utf8JsonWriter json, string id, string name, string? version, string? purpose, string? purl, string? license, string? source)
    {
        json.WriteStartObject();
        json.WriteString("SPDXID", id);
        json.WriteString("name", name);
        if (version is not null) json.WriteString("versionInfo", version);
        json.WriteString("downloadLocation", NoAssertion);
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("licenseConcluded", NoAssertion);
        json.WriteString("licenseDeclared", license ?? NoAssertion);
        json.WriteString("copyrightText", NoAssertion);
        if (source is not null) json.WriteString("sourceInfo", source);
        if (purl is not null)
        {
            json.WriteStartArray("externalRefs");
            json.WriteStartObject();
            json.WriteString("referenceCategory", "PACKAGE-MANAGER");
            json.WriteString("referenceType", "purl");
            json.WriteString("referenceLocator", purl);
            json.WriteEndObject();
            json.WriteEndArray();
        }
        if (purpose is not null) json.WriteString("primaryPackagePurpose", purpose);
        json.WriteEndObject();
    }

    private static void WriteChecksum(Utf8JsonWriter json, string algorithm, string value)
    {
        json.WriteStartObject();
        json.WriteString("algorithm", algorithm);
        json.WriteString("checksumValue", value);
        json.WriteEndObject();
    }

    private static void WriteRelationship(Utf8JsonWriter json, string element, string type, string related)
    {
        json.WriteStartObject();
        json.WriteString("spdxElementId", element);
        json.WriteString("relationshipType", type);
        json.WriteString("relatedSpdxElement", related);
        json.WriteEndObject();
    }

    [GeneratedRegex("LicenseRef-[A-Za-z0-9.-]+")]
    private static partial Regex LicenseReference();
}
