using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.Debian;

namespace TinyImage.Tests.Debian;

/// <summary>
/// A Debian mirror laid out in a directory: pool/ with test .deb files, dists/SUITE/ with Packages (plain and gzip,
/// also by hash), Release and an InRelease signed by a test key; and an apt configuration pointing at it.
/// </summary>
public sealed class TestMirror
{
    private readonly List<string> _stanzas = [];

    public TestMirror(string root, TestSigningKey key, string suite = "tinytest", string architecture = "amd64")
    {
        Root = root;
        Key = key;
        Suite = suite;
        Architecture = architecture;
        Directory.CreateDirectory(root);
    }

    public string Root { get; }
    public TestSigningKey Key { get; }
    public string Suite { get; }
    public string Architecture { get; }

    /// <summary>The path of the Packages index relative to the mirror root.</summary>
    public string PackagesPath => $"dists/{Suite}/main/binary-{Architecture}/Packages";

    /// <summary>Adds a package built from a control stanza and data entries; returns its pool path.</summary>
    public string Add(string control, IEnumerable<TestDebEntry> entries, string compression = "gz")
    {
        var stanza = ControlStanza.ReadAll(control, "control")[0];
        var name = stanza["Package"]!;
        var pool = $"pool/main/{name[0]}/{name}/{name}_{stanza["Version"]}_{stanza["Architecture"]}.deb";
        var path = Path.Combine(Root, pool);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        TestDeb.Write(path, control, entries, compression);
        AddFile(control, pool);
        return pool;
    }

    /// <summary>Adds an existing .deb (e.g. one dpkg-deb built) under a pool path, with its control stanza.</summary>
    public void AddFile(string control, string poolPath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Root, poolPath));
        _stanzas.Add(control.TrimEnd('\n') + $"\nFilename: {poolPath}\nSize: {bytes.Length}\nSHA256: {Convert.ToHexStringLower(SHA256.HashData(bytes))}\n");
    }

    /// <summary>Writes the indexes and the signed Release file.</summary>
    public void Publish(DateTimeOffset? validUntil = null)
    {
        var binary = Path.Combine(Root, "dists", Suite, "main", $"binary-{Architecture}");
        Directory.CreateDirectory(Path.Combine(binary, "by-hash", "SHA256"));
        var packages = Encoding.UTF8.GetBytes(string.Join("\n", _stanzas));
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(packages);
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [$"main/binary-{Architecture}/Packages"] = packages,
            [$"main/binary-{Architecture}/Packages.gz"] = gz.ToArray(),
        };
        foreach (var (relative, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(Root, "dists", Suite, relative), bytes);
            File.WriteAllBytes(Path.Combine(binary, "by-hash", "SHA256", Convert.ToHexStringLower(SHA256.HashData(bytes))), bytes);
        }
        var release = new StringBuilder()
            .Append("Origin: TinyImage test\nLabel: TinyImage test\nSuite: testing\nCodename: ").Append(Suite).Append('\n')
            .Append("Date: ").Append(DateTime.UtcNow.AddHours(-1).ToString("ddd, dd MMM yyyy HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)).Append('\n');
        if (validUntil is { } until) release.Append("Valid-Until: ").Append(until.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)).Append('\n');
        release.Append("Acquire-By-Hash: yes\nArchitectures: ").Append(Architecture).Append("\nComponents: main\nDescription: test\nSHA256:\n");
        foreach (var (relative, bytes) in files)
            release.Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(bytes))).Append(' ').Append(bytes.Length.ToString(CultureInfo.InvariantCulture).PadLeft(8)).Append(' ').Append(relative).Append('\n');
        File.WriteAllText(Path.Combine(Root, "dists", Suite, "Release"), release.ToString());
        File.WriteAllBytes(Path.Combine(Root, "dists", Suite, "InRelease"), Key.SignCleartext(release.ToString()));
    }

    /// <summary>Writes an apt configuration (a deb822 .sources file) that serves the suite from <paramref name="uri"/>; returns its directory.</summary>
    public string WriteAptConfiguration(string aptDirectory, Uri uri)
    {
        Directory.CreateDirectory(Path.Combine(aptDirectory, "sources.list.d"));
        var keyring = Key.WriteKeyring(Path.Combine(aptDirectory, "test-archive.gpg"));
        File.WriteAllText(Path.Combine(aptDirectory, "sources.list.d", "test.sources"),
            $"Types: deb\nURIs: {uri}\nSuites: {Suite}\nComponents: main\nSigned-By: {keyring}\n");
        return aptDirectory;
    }
}
