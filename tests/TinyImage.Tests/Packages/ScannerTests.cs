using System.Security.Cryptography;
using System.Text.Json;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Packages;

/// <summary>
/// A real scanner (trivy, offline) sees the Debian packages an image's files come from: exactly those, at the versions
/// dpkg reports, with Debian as the OS. dpkg itself (<c>dpkg -S</c>, <c>dpkg-query</c>) is the oracle.
/// </summary>
public sealed class ScannerTests
{
    private const string Trivy = "/usr/local/lib/tinyimage-test/trivy";

    /// <summary>trivy's CycloneDX of an image archive: the OS and the packages (name -> version).</summary>
    internal static (string Os, Dictionary<string, string> Packages) Scan(string archive, TempDirectory dir)
    {
        Assert.True(File.Exists(Trivy), $"{Trivy} is missing; run scripts/install-test-deps.sh");
        var scan = Run.Process(Trivy, ["image", "--input", archive, "--offline-scan", "--skip-db-update", "--format", "cyclonedx", "-q", "--cache-dir", dir.Combine("trivy-cache")]);
        Assert.True(scan.ExitCode == 0, scan.ToString());
        var components = JsonDocument.Parse(scan.Stdout).RootElement.GetProperty("components").EnumerateArray().ToList();
        var os = components.Where(c => c.GetProperty("type").GetString() == "operating-system").Select(c => c.GetProperty("name").GetString()!).SingleOrDefault() ?? "(none)";
        var packages = components.Where(c => c.TryGetProperty("purl", out var purl) && purl.GetString()!.StartsWith("pkg:deb/debian/", StringComparison.Ordinal))
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => Epoch(c.GetProperty("purl").GetString()!) + c.GetProperty("version").GetString()!);
        return (os, packages);
    }

    /// <summary>trivy gives a version's epoch in the purl (<c>?epoch=2</c>), not in the version: "2:" then, as dpkg writes it.</summary>
    private static string Epoch(string purl) =>
        System.Text.RegularExpressions.Regex.Match(purl, "[?&]epoch=([0-9]+)") is { Success: true } epoch ? epoch.Groups[1].Value + ":" : "";

    /// <summary>The regular files of an image archive (unpacked into <paramref name="into"/>), as absolute image paths.</summary>
    internal static List<string> Files(string archive, string into)
    {
        Directory.CreateDirectory(into);
        var layout = into + ".layout";
        Directory.CreateDirectory(layout);
        Assert.Equal(0, Run.Process("tar", ["-xf", archive, "-C", layout]).ExitCode);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "manifest.json")));
        foreach (var layer in manifest.RootElement[0].GetProperty("Layers").EnumerateArray())
            Assert.Equal(0, Run.Process("tar", ["-xzf", Path.Combine(layout, layer.GetString()!), "-C", into]).ExitCode);
        return [.. Directory.EnumerateFiles(into, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => new FileInfo(f).LinkTarget is null).Select(f => f[into.Length..])];
    }

    /// <summary>The package dpkg says installed <paramref name="path"/> (with its merged-/usr twin), or null.</summary>
    internal static string? DpkgOwner(string path)
    {
        foreach (var candidate in new[] { path, path.StartsWith("/usr/", StringComparison.Ordinal) ? path[4..] : "/usr" + path })
        {
            var search = Run.Process("dpkg", ["-S", candidate]);
            if (search.ExitCode == 0) return search.Stdout.Split(':')[0].Split(',')[0].Trim();
        }
        return null;
    }

    internal static string DpkgVersion(string package) => Run.Process("dpkg-query", ["-W", "-f=${Version}", package]).Stdout.Trim();

    [Theory]
    [InlineData("recipes/bash-ls.tiny.csx", "libselinux1")]
    [InlineData("recipes/curl.tiny.csx", "libcurl4")]
    public void Trivy_lists_Debian_and_exactly_the_packages_whose_files_the_image_ships(string recipe, string expectedAmongThem)
    {
        using var dir = new TempDirectory();
        var build = Run.Tinyrun(Run.RepoRoot, recipe, "-o", dir.Combine("image.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var files = Files(dir.Combine("image.tar"), dir.Combine("root"));
        var expected = files.Where(f => !f.StartsWith("/var/lib/dpkg/", StringComparison.Ordinal))
            .Select(DpkgOwner).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains(expectedAmongThem, expected);
        Assert.Contains("base-files", expected); // /etc/os-release and /etc/debian_version, which scanners need

        var (os, packages) = Scan(dir.Combine("image.tar"), dir);
        Assert.Equal("debian", os);
        Assert.Equal(expected, packages.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, version) in packages) Assert.Equal(DpkgVersion(name), version);
    }

    [Fact]
    public void The_md5sums_of_a_package_list_only_the_files_shipped_and_their_real_sums_and_metadata_can_be_left_out()
    {
        using var dir = new TempDirectory();
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "-o", dir.Combine("image.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var root = dir.Combine("root");
        var files = Files(dir.Combine("image.tar"), root);
        var libc = File.ReadAllLines(Path.Combine(root, "var/lib/dpkg/status.d/libc6.md5sums"));
        var shippedOfLibc = files.Where(f => DpkgOwner(f) == "libc6").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, shippedOfLibc.Count); // the loader and libc.so.6, of the hundreds of files libc6 has
        Assert.Equal(shippedOfLibc.Select(f => $"{Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(root + f)))}  {f[1..]}"), libc);
        var control = File.ReadAllText(Path.Combine(root, "var/lib/dpkg/status.d/libc6"));
        Assert.Contains("Package: libc6\n", control);
        Assert.Contains($"Version: {DpkgVersion("libc6")}\n", control);
        Assert.DoesNotContain("Status:", control);

        dir.Write("plain.tiny.csx", "From.Scratch().AddBinary(\"/bin/ls\").WithLibs().WithoutPackageMetadata().AddFile(\"plain.tiny.csx\", \"/app/recipe\")");
        var plain = Run.Tinyrun(dir.Path, "plain.tiny.csx", "-o", dir.Combine("plain.tar"));
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var plainFiles = Files(dir.Combine("plain.tar"), dir.Combine("plain"));
        Assert.DoesNotContain(plainFiles, f => f.StartsWith("/var/lib/dpkg", StringComparison.Ordinal) || f.EndsWith("os-release", StringComparison.Ordinal));

        // The recipe's own file is the application's, not a package's, even at a path a package lists.
        dir.Write("own.tiny.csx", "From.Scratch().AddBinary(\"/bin/ls\").WithLibs().AddFile(\"own.tiny.csx\", \"/usr/bin/cat\")");
        var own = Run.Tinyrun(dir.Path, "own.tiny.csx", "-o", dir.Combine("own.tar"));
        Assert.True(own.ExitCode == 0, own.ToString());
        Files(dir.Combine("own.tar"), dir.Combine("own"));
        Assert.False(File.Exists(dir.Combine("own/var/lib/dpkg/status.d/coreutils.md5sums")) &&
                     File.ReadAllText(dir.Combine("own/var/lib/dpkg/status.d/coreutils.md5sums")).Contains("usr/bin/cat"));
    }
}
