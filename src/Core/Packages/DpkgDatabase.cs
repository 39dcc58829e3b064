using System.Text;
using TinyImage.Core.Debian;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Packages;

/// <summary>
/// The dpkg database of a root (<c>var/lib/dpkg/status</c> and <c>info/*.list</c>): which installed package each path
/// belongs to. Lists name paths as packages ship them (<c>/lib/x86_64-linux-gnu/libc.so.6</c>) while a merged-/usr root
/// has the file under <c>/usr</c>, so a path is also looked up with its <c>/usr</c> prefix added or taken away, as
/// scanners do.
/// </summary>
public sealed class DpkgDatabase
{
    private const int MaxStatusSize = 64 << 20;
    private const int MaxListSize = 16 << 20;
    private static readonly string[] MergedDirectories = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    private readonly Dictionary<string, InstalledPackage> _owners;

    private DpkgDatabase(Dictionary<string, InstalledPackage> owners) => _owners = owners;

    /// <summary>
    /// Reads the database of <paramref name="root"/>, keeping only the owners of <paramref name="paths"/> (and of their
    /// merged-/usr twins); null when the root has no dpkg database.
    /// </summary>
    public static DpkgDatabase? Read(HostFiles root, IEnumerable<string> paths)
    {
        var statusPath = root.HostPath("/var/lib/dpkg/status");
        if (!HostFileStatus.Of(statusPath).IsFile) return null;
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal); // a listed spelling -> the image path
        foreach (var path in paths)
            foreach (var spelling in Spellings(path))
                wanted.TryAdd(spelling, path);
        var stanzas = ControlStanza.ReadAll(Encoding.UTF8.GetString(RegularFile.ReadAllBytes(statusPath, MaxStatusSize)), statusPath);
        var owners = new Dictionary<string, InstalledPackage>(StringComparer.Ordinal);
        foreach (var stanza in stanzas)
        {
            if (stanza["Package"] is not { Length: > 0 } name || stanza["Version"] is not { } version) continue;
            var state = stanza["Status"]?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (state is not null && (state.Length != 3 || state[2] != "installed")) continue;
            var architecture = stanza["Architecture"] ?? "all";
            var list = ListOf(root, name, architecture);
            if (list is null) continue;
            var package = new InstalledPackage(name, version, architecture, stanza["Source"], Control(stanza));
            foreach (var line in RegularFile.ReadAllLines(list, MaxListSize))
                if (wanted.TryGetValue(line, out var imagePath)) owners.TryAdd(imagePath, package);
        }
        return new DpkgDatabase(owners);
    }

    /// <summary>The package that installed <paramref name="path"/> (an absolute path in the root), or null.</summary>
    public InstalledPackage? Owner(string path) => _owners.GetValueOrDefault(path);

    /// <summary>The path and its merged-/usr twin: <c>/usr/lib/x</c> is also <c>/lib/x</c>, and the other way round.</summary>
    private static IEnumerable<string> Spellings(string path)
    {
        yield return path;
        foreach (var directory in MergedDirectories)
        {
            if (path.StartsWith(directory + "/", StringComparison.Ordinal)) yield return "/usr" + path;
            else if (path.StartsWith("/usr" + directory + "/", StringComparison.Ordinal)) yield return path["/usr".Length..];
        }
    }

    /// <summary>The host path of the package's file list: <c>info/NAME.list</c>, or <c>info/NAME:ARCH.list</c> (Multi-Arch: same).</summary>
    private static string? ListOf(HostFiles root, string name, string architecture)
    {
        foreach (var candidate in new[] { $"/var/lib/dpkg/info/{name}:{architecture}.list", $"/var/lib/dpkg/info/{name}.list" })
        {
            var host = root.HostPath(candidate);
            if (HostFileStatus.Of(host).IsFile) return host;
        }
        return null;
    }

    /// <summary>The stanza as a package's control file has it: without dpkg's own Status, Conffiles and Config-Version.</summary>
    private static string Control(ControlStanza stanza)
    {
        var text = new StringBuilder();
        foreach (var (field, value, _) in stanza.Fields)
        {
            if (field.Equals("Status", StringComparison.OrdinalIgnoreCase) || field.Equals("Conffiles", StringComparison.OrdinalIgnoreCase)
                || field.Equals("Config-Version", StringComparison.OrdinalIgnoreCase)) continue;
            text.Append(field).Append(':').Append(value.Length > 0 && value[0] != '\n' ? " " : "").Append(value).Append('\n');
        }
        return text.ToString();
    }
}
