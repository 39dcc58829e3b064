using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Packages;

namespace TinyImage.Tests.Sbom;

/// <summary>
/// Issue 11, point 4: an SPDX 2.3 and a CycloneDX 1.5 document beside every image: valid, listing exactly the packages
/// whose files the image ships (dpkg is the oracle) with versions, purls and licenses, every regular file with its
/// SHA-256 and package, which file loads which, and the same bytes for the same image.
/// </summary>
public sealed class SbomTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (string Archive, JsonElement Spdx, JsonElement CycloneDx, byte[] SpdxBytes, byte[] CycloneDxBytes) Build(
        string workingDirectory, string recipe, string output, IDictionary<string, string>? environment = null, params string[] extra)
    {
        var archive = _dir.Combine(output + ".tar");
        var build = environment is null
            ? Run.Tinyrun(workingDirectory, [recipe, "-o", archive, .. extra])
            : Run.Tinyrun(environment, workingDirectory, [recipe, "-o", archive, .. extra]);
        Assert.True(build.ExitCode == 0, build.ToString());
        var spdx = File.ReadAllBytes(_dir.Combine(output + ".spdx.json"));
        var cdx = File.ReadAllBytes(_dir.Combine(output + ".cdx.json"));
        return (archive, JsonDocument.Parse(spdx).RootElement, JsonDocument.Parse(cdx).RootElement, spdx, cdx);
    }

    private static string HostDistro()
    {
        var fields = File.ReadAllLines("/etc/os-release").Where(l => l.Contains('=')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..].Trim('"'));
        return $"{fields["ID"]}-{fields["VERSION_ID"]}";
    }

    /// <summary>What SPDX 2.3 requires of a document, its packages, files and relationships (clauses 6-11), beyond JSON shape.</summary>
    private static List<string> SpdxErrors(JsonElement spdx)
    {
        var errors = new List<string>();
        void Require(bool ok, string what) { if (!ok) errors.Add(what); }
        string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var idPattern = new Regex("^SPDXRef-[A-Za-z0-9.-]+$");
        Require(Text(spdx, "spdxVersion") == "SPDX-2.3", "spdxVersion is SPDX-2.3");
        Require(Text(spdx, "dataLicense") == "CC0-1.0", "dataLicense is CC0-1.0");
        Require(Text(spdx, "SPDXID") == "SPDXRef-DOCUMENT", "SPDXID is SPDXRef-DOCUMENT");
        Require(Text(spdx, "name") is { Length: > 0 }, "name");
        Require(Uri.TryCreate(Text(spdx, "documentNamespace"), UriKind.Absolute, out var ns) && !ns.ToString().Contains('#'), "documentNamespace is an absolute URI without #");
        var creation = spdx.GetProperty("creationInfo");
        Require(Regex.IsMatch(Text(creation, "created") ?? "", @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"), "creationInfo.created is YYYY-MM-DDThh:mm:ssZ");
        Require(creation.GetProperty("creators").EnumerateArray().Any(c => Regex.IsMatch(c.GetString()!, "^(Tool|Person|Organization): .+")), "creators");
        var ids = new HashSet<string> { "SPDXRef-DOCUMENT" };
        foreach (var package in spdx.GetProperty("packages").EnumerateArray())
        {
            var id = Text(package, "SPDXID") ?? "";
            Require(idPattern.IsMatch(id) && ids.Add(id), $"package id {id} is valid and unique");
            Require(Text(package, "name") is { Length: > 0 } && Text(package, "downloadLocation") is { Length: > 0 }, $"{id} has name and downloadLocation");
        }
        foreach (var file in spdx.GetProperty("files").EnumerateArray())
        {
            var id = Text(file, "SPDXID") ?? "";
            Require(idPattern.IsMatch(id) && ids.Add(id), $"file id {id} is valid and unique");
            var algorithms = file.GetProperty("checksums").EnumerateArray().Select(c => Text(c, "algorithm")).ToList();
            Require(Text(file, "fileName") is { Length: > 0 } && algorithms.Contains("SHA1"), $"{id} has fileName and a SHA1 checksum");
        }
        foreach (var relationship in spdx.GetProperty("relationships").EnumerateArray())
            Require(ids.Contains(Text(relationship, "spdxElementId")!) && ids.Contains(Text(relationship, "relatedSpdxElement")!),
                $"relationship {relationship} names declared elements");
        var declared = spdx.TryGetProperty("hasExtractedLicensingInfos", out var infos) ? infos.EnumerateArray().Select(i => Text(i, "licenseId")!).ToHashSet() : [];
        foreach (var package in spdx.GetProperty("packages").EnumerateArray())
            foreach (Match reference in Regex.Matches(Text(package, "licenseDeclared") ?? "", "LicenseRef-[A-Za-z0-9.-]+"))
                Require(declared.Contains(reference.Value), $"{reference.Value} is declared in hasExtractedLicensingInfos");
        return errors;
    }

    private static Dictionary<string, string> SpdxIds(JsonElement spdx, string array, string name) =>
        spdx.GetProperty(array).EnumerateArray().ToDictionary(e => e.GetProperty("SPDXID").GetString()!, e => e.GetProperty(name).GetString()!);

    [Theory]
    [InlineData("recipes/bash-ls.tiny.csx", "/usr/bin/bash", "libtinfo.so.6")]
    [InlineData("recipes/curl.tiny.csx", "/usr/bin/curl", "libcurl.so.4")]
    public void The_SBOMs_beside_an_image_are_valid_and_name_exactly_its_packages_files_and_links(string recipe, string program, string library)
    {
        var (archive, spdx, cdx, _, cdxBytes) = Build(Run.RepoRoot, recipe, "image");
        Assert.Empty(CycloneDxSchema.Errors(cdxBytes));
        Assert.Empty(SpdxErrors(spdx));

        var root = _dir.Combine("root");
        var files = ScannerTests.Files(archive, root).Order(StringComparer.Ordinal).ToList();
        var owners = files.ToDictionary(f => f, f => f.StartsWith("/var/lib/dpkg/", StringComparison.Ordinal) ? null : ScannerTests.DpkgOwner(f));
        var expected = owners.Values.OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("base-files", expected);

        // CycloneDX: the packages (with dpkg's versions and purls) hold their files; every file has its real SHA-256.
        var distro = HostDistro();
        var libraries = cdx.GetProperty("components").EnumerateArray().Where(c => c.GetProperty("type").GetString() == "library").ToList();
        Assert.Equal(expected, libraries.Select(c => c.GetProperty("name").GetString()!));
        var fileOwners = new Dictionary<string, string?>();
        foreach (var component in libraries)
        {
            var name = component.GetProperty("name").GetString()!;
            var version = ScannerTests.DpkgVersion(name);
            Assert.Equal(version, component.GetProperty("version").GetString());
            var epoch = version.Contains(':') ? "&epoch=" + version[..version.IndexOf(':')] : "";
            var arch = Run.Process("dpkg-query", ["-W", "-f=${Architecture}", name]).Stdout.Trim();
            Assert.Equal($"pkg:deb/debian/{name}@{version[(version.IndexOf(':') + 1)..]}?arch={arch}&distro={distro}{epoch}", component.GetProperty("purl").GetString());
            foreach (var file in component.GetProperty("components").EnumerateArray()) fileOwners[file.GetProperty("name").GetString()!] = name;
        }
        var allFiles = new List<JsonElement>();
        void Collect(JsonElement components)
        {
            foreach (var c in components.EnumerateArray())
            {
                if (c.GetProperty("type").GetString() == "file") allFiles.Add(c);
                if (c.TryGetProperty("components", out var inner)) Collect(inner);
            }
        }
        Collect(cdx.GetProperty("components"));
        Assert.Equal(files, allFiles.Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        foreach (var file in allFiles)
        {
            var path = file.GetProperty("name").GetString()!;
            var sha256 = file.GetProperty("hashes").EnumerateArray().Single(h => h.GetProperty("alg").GetString() == "SHA-256").GetProperty("content").GetString();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(root + path))), sha256);
            Assert.Equal(owners[path], fileOwners.GetValueOrDefault(path));
        }

        // SPDX: the same packages and files, each file CONTAINed by its package (or the image), the program DEPENDS_ON the library.
        var packages = SpdxIds(spdx, "packages", "name");
        var paths = SpdxIds(spdx, "files", "fileName");
        Assert.Equal(files, paths.Values.Select(p => p[1..]).Order(StringComparer.Ordinal));
        var relationships = spdx.GetProperty("relationships").EnumerateArray()
            .Select(r => (From: r.GetProperty("spdxElementId").GetString()!, Type: r.GetProperty("relationshipType").GetString()!, To: r.GetProperty("relatedSpdxElement").GetString()!)).ToList();
        foreach (var (id, fileName) in paths)
        {
            var container = relationships.Single(r => r.Type == "CONTAINS" && r.To == id).From;
            Assert.Equal(owners[fileName[1..]] ?? "image", container == "SPDXRef-Image" ? "image" : packages[container]);
        }
        Assert.Equal(expected, relationships.Where(r => r.From == "SPDXRef-Image" && r.Type == "CONTAINS" && packages.ContainsKey(r.To) && r.To.StartsWith("SPDXRef-Package-", StringComparison.Ordinal))
            .Select(r => packages[r.To]).Order(StringComparer.Ordinal));
        var programId = paths.Single(p => p.Value == "." + program).Key;
        var libraryPath = files.Single(f => Path.GetFileName(f).StartsWith(library, StringComparison.Ordinal) && new FileInfo(root + f).LinkTarget is null);
        Assert.Contains((programId, "DEPENDS_ON", paths.Single(p => p.Value == "." + libraryPath).Key), relationships);
        Assert.Contains(cdx.GetProperty("dependencies").EnumerateArray(), d => d.GetProperty("ref").GetString() == "file:" + program
            && d.GetProperty("dependsOn").EnumerateArray().Any(x => x.GetString() == "file:" + libraryPath));
    }

    [Fact]
    public void The_same_recipe_built_twice_from_two_empty_caches_gives_the_same_SBOM_bytes_and_image_digest()
    {
        var environment = (string cache) => new Dictionary<string, string> { ["TINYRUN_CACHE"] = _dir.Combine(cache), ["SOURCE_DATE_EPOCH"] = "1700000000" };
        var first = Build(Run.RepoRoot, "recipes/curl.tiny.csx", "first", environment("cache-1"));
        var second = Build(Run.RepoRoot, "recipes/curl.tiny.csx", "second", environment("cache-2"));

        Assert.Equal(first.SpdxBytes, second.SpdxBytes);
        Assert.Equal(first.CycloneDxBytes, second.CycloneDxBytes);
        Assert.Equal(File.ReadAllBytes(first.Archive), File.ReadAllBytes(second.Archive));
        Assert.Equal("2023-11-14T22:13:20Z", first.Spdx.GetProperty("creationInfo").GetProperty("created").GetString());
        Assert.Equal("2023-11-14T22:13:20Z", first.CycloneDx.GetProperty("metadata").GetProperty("timestamp").GetString());
        var digest = first.CycloneDx.GetProperty("metadata").GetProperty("component").GetProperty("version").GetString()!;
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        Assert.EndsWith(digest["sha256:".Length..], first.Spdx.GetProperty("documentNamespace").GetString());
    }

    [Fact]
    public void A_file_from_the_recipe_directory_belongs_to_the_application_and_no_package()
    {
        _dir.Write("app/data.txt", "the application's own data\n");
        _dir.Write("app/app.tiny.csx", "From.Scratch().AddBinary(\"/bin/ls\").WithLibs().AddFile(\"data.txt\", \"/app/data.txt\").Tag(\"app:1\")\n");
        var (_, spdx, cdx, _, cdxBytes) = Build(_dir.Combine("app"), "app.tiny.csx", "app");
        Assert.Empty(CycloneDxSchema.Errors(cdxBytes));
        Assert.Empty(SpdxErrors(spdx));

        var application = cdx.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "application");
        Assert.Equal("app", application.GetProperty("name").GetString());
        Assert.Equal(["/app/data.txt"], application.GetProperty("components").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        var dataId = SpdxIds(spdx, "files", "fileName").Single(f => f.Value == "./app/data.txt").Key;
        Assert.Contains(spdx.GetProperty("relationships").EnumerateArray(), r => r.GetProperty("spdxElementId").GetString() == "SPDXRef-Application"
            && r.GetProperty("relationshipType").GetString() == "CONTAINS" && r.GetProperty("relatedSpdxElement").GetString() == dataId);
        Assert.Equal("coreutils", cdx.GetProperty("components").EnumerateArray().Where(c => c.GetProperty("type").GetString() == "library")
            .Single(c => c.GetProperty("components").EnumerateArray().Any(f => f.GetProperty("name").GetString() == "/usr/bin/ls")).GetProperty("name").GetString());
    }

    [Fact]
    public void Mirror_an_image_from_Debian_packages_names_each_files_package_at_the_version_the_lock_pins()
    {
        var (archive, spdx, cdx, _, cdxBytes) = Build(Run.RepoRoot, Path.Combine(Run.RepoRoot, "recipes", "hello-deb.tiny.csx"), "hello", null,
            "--locked", "--platform", "linux/amd64");
        Assert.Empty(CycloneDxSchema.Errors(cdxBytes));
        Assert.Empty(SpdxErrors(spdx));

        // The lock's amd64 stanzas: Package, Version, Architecture.
        var pinned = new Dictionary<string, string>();
        string? name = null;
        foreach (var line in File.ReadAllLines(Path.Combine(Run.RepoRoot, "recipes", "hello-deb.tiny.lock")))
        {
            if (line.StartsWith("Package: ", StringComparison.Ordinal)) name = line[9..];
            else if (line.StartsWith("Version: ", StringComparison.Ordinal) && name is not null) pinned.TryAdd(name, line[9..]);
        }
        var libraries = cdx.GetProperty("components").EnumerateArray().Where(c => c.GetProperty("type").GetString() == "library")
            .ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["hello", "libc6"], libraries.Keys.Order(StringComparer.Ordinal));
        foreach (var (package, component) in libraries)
        {
            Assert.Equal(pinned[package], component.GetProperty("version").GetString());
            // The root has no os-release (no base-files in the set): no distro qualifier is made up.
            Assert.Equal($"pkg:deb/debian/{package}@{pinned[package]}?arch=amd64", component.GetProperty("purl").GetString());
        }
        Assert.Equal(["/usr/bin/hello"], libraries["hello"].GetProperty("components").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Contains(libraries["libc6"].GetProperty("components").EnumerateArray(), f => f.GetProperty("name").GetString()!.EndsWith("/libc.so.6", StringComparison.Ordinal));

        // And the image says it to scanners too: status.d for the packages of a root that has no dpkg database.
        var files = ScannerTests.Files(archive, _dir.Combine("root"));
        Assert.Contains("/var/lib/dpkg/status.d/hello", files);
        Assert.Contains($"Version: {pinned["hello"]}\n", File.ReadAllText(_dir.Combine("root/var/lib/dpkg/status.d/hello")));
        Assert.EndsWith("  usr/bin/hello\n", File.ReadAllText(_dir.Combine("root/var/lib/dpkg/status.d/hello.md5sums")));
    }

    [Fact]
    public void No_sbom_writes_none()
    {
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "-o", _dir.Combine("plain.tar"), "--no-sbom");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.True(File.Exists(_dir.Combine("plain.tar")));
        Assert.False(File.Exists(_dir.Combine("plain.spdx.json")));
        Assert.False(File.Exists(_dir.Combine("plain.cdx.json")));
    }
}
