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
    /// <param name="indexDirectory">Where to keep an index of the lists (<see cref="DpkgOwnerIndex"/>), so the next build reads none; null: read them all.</param>
    public static DpkgDatabase? Read(HostFiles root, IEnumerable<string> paths, string? indexDirectory = null) =>
        Read(root, paths, indexDirectory, DateTimeOffset.UtcNow);

    /// <param name="now">The time that says whether the database has settled enough to remember what it gave (<see cref="DpkgOwnersMemo"/>); tests move it on.</param>
    internal static DpkgDatabase? Read(HostFiles root, IEnumerable<string> paths, string? indexDirectory, DateTimeOffset now)
    {
        var statusPath = root.HostPath("/var/lib/dpkg/status");
        if (!HostFileStatus.Of(statusPath).IsFile) return null;
        var pathList = paths.ToList();
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal); // a listed spelling -> the image path
        foreach (var path in pathList)
            foreach (var spelling in Spellings(path))
                wanted.TryAdd(spelling, path);
        // What an earlier build found for the same paths in the same database (an unchanged rebuild): nothing to read.
        var memo = indexDirectory is null ? null : DpkgOwnersMemo.For(root, indexDirectory, pathList, now);
        if (memo?.TryRead() is { } remembered) return new DpkgDatabase(remembered);
        // The status file of a desktop holds thousands of packages: each stanza is looked at by its first fields only, and
        // parsed whole only when the package owns a wanted path. Lists are read as text and their lines looked up as spans.
        var status = Encoding.UTF8.GetString(RegularFile.ReadAllBytes(statusPath, MaxStatusSize));
        var candidates = new List<Candidate>(); // the list is looked for only when it is read
        foreach (var text in status.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            if (Field(text, "Package") is not { Length: > 0 } name || Field(text, "Version") is null) continue;
            var state = Field(text, "Status")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (state is not null && (state.Length != 3 || state[2] != "installed")) continue;
            var architecture = Field(text, "Architecture") ?? "all";
            candidates.Add(new Candidate(text, name + ":" + architecture, name));
        }
        // Where two packages list a path (a diversion), the first in the status file owns it.
        var found = indexDirectory is not null && DpkgOwnerIndex.Open(root, indexDirectory, () => AllListed(root, candidates)) is { } index
            ? FromIndex(index, wanted, candidates)
            : FromLists(root, wanted, candidates);
        var owners = new Dictionary<string, InstalledPackage>(StringComparer.Ordinal);
        var parsed = new Dictionary<int, InstalledPackage>();
        foreach (var hits in found)
        {
            foreach (var (package, imagePath) in hits)
            {
                if (owners.ContainsKey(imagePath)) continue;
                if (!parsed.TryGetValue(package, out var installed)) parsed[package] = installed = Parse(candidates[package].Stanza, statusPath);
                owners[imagePath] = installed;
            }
        }
        memo?.Write(owners);
        return new DpkgDatabase(owners);
    }

    /// <summary>For each candidate package (in status order), the wanted paths its list names; the lists are read in parallel.</summary>
    private static (int Package, string ImagePath)[][] FromLists(HostFiles root, Dictionary<string, string> wanted, List<Candidate> candidates)
    {
        var found = new (int Package, string ImagePath)[candidates.Count][];
        Parallel.For(0, candidates.Count, i =>
        {
            var lookup = wanted.GetAlternateLookup<ReadOnlySpan<char>>();
            var lines = ReadList(root, candidates[i]).AsSpan();
            List<(int, string)>? mine = null;
            foreach (var range in lines.Split('\n'))
                if (lookup.TryGetValue(lines[range], out var imagePath)) (mine ??= []).Add((i, imagePath));
            found[i] = mine?.ToArray() ?? [];
        });
        return found;
    }

    /// <summary>The same as <see cref="FromLists"/>, looked up in the index: a package owns a wanted spelling when the index says so.</summary>
    private static (int Package, string ImagePath)[][] FromIndex(DpkgOwnerIndex.Lookup index, Dictionary<string, string> wanted, List<Candidate> candidates)
    {
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < candidates.Count; i++) position.TryAdd(candidates[i].Key, i);
        // Loops over arrays, not LINQ over (int, string) tuples, whose generic code is JIT-compiled at every start (issue 10).
        var hits = new (int Package, string ImagePath)[wanted.Count];
        var count = 0;
        foreach (var (spelling, imagePath) in wanted)
            if (index.Package(spelling) is { } key && position.TryGetValue(key, out var i)) hits[count++] = (i, imagePath);
        // A stable sort by package (status order), by counting: linear however many files an image has.
        var starts = new int[candidates.Count + 1];
        for (var k = 0; k < count; k++) starts[hits[k].Package + 1]++;
        for (var p = 1; p < starts.Length; p++) starts[p] += starts[p - 1];
        var sorted = new (int Package, string ImagePath)[count];
        for (var k = 0; k < count; k++) sorted[starts[hits[k].Package]++] = hits[k];
        hits = sorted;
        var found = new (int Package, string ImagePath)[count][];
        for (var k = 0; k < count; k++) found[k] = [hits[k]];
        return found;
    }

    /// <summary>Every path every list names, with its package's key, packages in status order.</summary>
    private static IEnumerable<(string Path, string Package)> AllListed(HostFiles root, List<Candidate> candidates)
    {
        var lists = new string[candidates.Count];
        Parallel.For(0, candidates.Count, i => lists[i] = ReadList(root, candidates[i]));
        for (var i = 0; i < candidates.Count; i++)
            foreach (var line in lists[i].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                yield return (line, candidates[i].Key);
    }

    /// <summary>The value of a one-line field of a stanza (<c>Name: value</c> at the start of a line), or null.</summary>
    private static string? Field(string stanza, string name)
    {
        for (var at = 0; at < stanza.Length;)
        {
            var end = stanza.IndexOf('\n', at);
            if (end < 0) end = stanza.Length;
            var line = stanza.AsSpan(at, end - at);
            if (line.Length > name.Length && line[name.Length] == ':' && line.StartsWith(name, StringComparison.OrdinalIgnoreCase))
                return line[(name.Length + 1)..].Trim().ToString();
            at = end + 1;
        }
        return null;
    }

    private static InstalledPackage Parse(string text, string statusPath)
    {
        var stanza = ControlStanza.ReadAll(text + "\n", statusPath).Single();
        return new InstalledPackage(stanza["Package"]!, stanza["Version"]!, stanza["Architecture"] ?? "all", stanza["Source"], Control(stanza));
    }

    /// <summary>The package that installed <paramref name="path"/> (an absolute path in the root), or null.</summary>
    public InstalledPackage? Owner(string path) => _owners.GetValueOrDefault(path);

    /// <summary>The path and its merged-/usr twin: <c>/usr/lib/x</c> is also <c>/lib/x</c>, and the other way round.</summary>
    internal static IEnumerable<string> Spellings(string path)
    {
        yield return path;
        foreach (var directory in MergedDirectories)
        {
            if (path.StartsWith(directory + "/", StringComparison.Ordinal)) yield return "/usr" + path;
            else if (path.StartsWith("/usr" + directory + "/", StringComparison.Ordinal)) yield return path["/usr".Length..];
        }
    }

    /// <summary>The text of the package's file list; empty when it has none.</summary>
    private static string ReadList(HostFiles root, Candidate package) =>
        ListOf(root, package.Name, package.Key[(package.Name.Length + 1)..]) is { } list ? Encoding.UTF8.GetString(RegularFile.ReadAllBytes(list, MaxListSize)) : "";

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

    /// <summary>An installed package of the status file: its stanza, <c>NAME:ARCH</c> and name.</summary>
    private sealed record Candidate(string Stanza, string Key, string Name);

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
