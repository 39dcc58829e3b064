using System.Text.RegularExpressions;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Layers;

/// <summary>
/// Splits an image's entries into layers that images from different recipes can share: the C library and its
/// loader first, then the other shared libraries, then any layers the recipe named, then the application.
/// Every layer repeats the parent directories it needs (with the tree's modes), so it is a valid tar on its own
/// and the same files give the same layer, hence the same diff_id and digest, whatever recipe they come from.
/// Empty layers are left out.
/// </summary>
/// <remarks>
/// A file or symlink goes by its name: glibc's loader and libraries (<c>ld-linux*</c>, <c>libc.so.6</c>,
/// <c>libm</c>, <c>libpthread</c>, <c>libdl</c>, <c>librt</c>, <c>libresolv</c>, <c>libnss_*</c>, …) to
/// <c>libc</c>; any other <c>*.so</c>/<c>*.so.*</c> to <c>libraries</c>. Any other symlink (<c>/lib64 -> usr/lib64</c>,
/// <c>/bin -> usr/bin</c>) goes to the first layer that holds what it leads to, so <c>/lib64</c> and <c>/lib</c>
/// travel with the loader. A directory that holds nothing goes to the application layer.
/// </remarks>
public static partial class LayerPlan
{
    public const string LibcLayer = "libc";
    public const string LibrariesLayer = "libraries";
    public const string ApplicationLayer = "application";


    /// <summary>Splits <paramref name="entries"/> (sorted, parents first, as <see cref="FileTree.Entries"/> returns them).</summary>
    /// <param name="assignments">Layers the recipe named, in order; a path they list goes there whatever its name.</param>
    public static IReadOnlyList<LayerGroup> Split(IReadOnlyList<FileEntry> entries, IReadOnlyList<LayerAssignment>? assignments = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        assignments ??= [];
        var names = new List<string> { LibcLayer, LibrariesLayer };
        foreach (var assignment in assignments)
        {
            if (names.Contains(assignment.Name) || assignment.Name == ApplicationLayer)
                throw new TinyImageException($"two layers are named '{assignment.Name}'; give each .Layer(...) its own name (libc, libraries and application are taken)");
            names.Add(assignment.Name);
        }
        names.Add(ApplicationLayer);
        var application = names.Count - 1;

        var byPath = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var sorted = entries.Select(e => e.Path).Order(StringComparer.Ordinal).ToArray();
        var explicitRank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < assignments.Count; i++)
            foreach (var path in assignments[i].Paths)
                explicitRank.TryAdd(path, i + 2);

        // The layer of every file and symlink; directories follow what they hold.
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = new Lookup(byPath, sorted, explicitRank, ranks, application);
        foreach (var entry in entries)
            if (entry.Kind != EntryKind.Directory)
                RankOf(entry, lookup, depth: 0);

        var members = new HashSet<string>[names.Count];
        for (var i = 0; i < members.Length; i++) members[i] = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, rank) in ranks)
            AddWithParents(members[rank], path);
        // Directories a recipe layer names first, so that their parents are not also taken for empty directories.
        foreach (var entry in entries)
            if (entry.Kind == EntryKind.Directory && explicitRank.TryGetValue(entry.Path, out var rank))
                AddWithParents(members[rank], entry.Path);
        foreach (var entry in entries)
            if (entry.Kind == EntryKind.Directory && !members.Any(m => m.Contains(entry.Path)))
                AddWithParents(members[application], entry.Path);

        var groups = new List<LayerGroup>();
        for (var i = 0; i < names.Count; i++)
        {
            if (members[i].Count == 0) continue;
            var set = members[i];
            groups.Add(new LayerGroup(names[i], [.. entries.Where(e => set.Contains(e.Path))]));
        }
        return groups;
    }

    /// <summary>Whether a file name is one of glibc's loader or libraries (libc layer).</summary>
    public static bool IsLibcName(string fileName) => LibcName().IsMatch(fileName);

    /// <summary>Whether a file name is a shared library's (<c>x.so</c>, <c>x.so.1.2</c>).</summary>
    public static bool IsSharedLibraryName(string fileName) =>
        fileName.EndsWith(".so", StringComparison.Ordinal) || fileName.Contains(".so.", StringComparison.Ordinal);

    private sealed record Lookup(Dictionary<string, FileEntry> ByPath, string[] Sorted, Dictionary<string, int> ExplicitRank,
        Dictionary<string, int> Ranks, int Application);

    private static int RankOf(FileEntry entry, Lookup lookup, int depth)
    {
        var (byPath, sorted, explicitRank, ranks, application) = lookup;
        if (ranks.TryGetValue(entry.Path, out var known)) return known;
        int rank;
        var name = entry.Path[(entry.Path.LastIndexOf('/') + 1)..];
        if (explicitRank.TryGetValue(entry.Path, out var assigned)) rank = assigned;
        else if (IsLibcName(name)) rank = 0;
        else if (IsSharedLibraryName(name)) rank = 1;
        else if (entry.Kind == EntryKind.Symlink && depth < SymlinkWalk.MaxHops)
        {
            ranks[entry.Path] = application; // a cycle resolves to the application layer
            rank = application;
            var target = Resolve(entry, byPath);
            if (target is not null)
            {
                if (byPath.TryGetValue(target, out var reached) && reached.Kind != EntryKind.Directory)
                    rank = Math.Min(rank, RankOf(reached, lookup, depth + 1));
                // Paths below the target are contiguous in ordinal order.
                var prefix = target == "/" ? "/" : target + "/";
                var start = Array.BinarySearch(sorted, prefix, StringComparer.Ordinal);
                for (var i = start < 0 ? ~start : start; i < sorted.Length && rank > 0 && sorted[i].StartsWith(prefix, StringComparison.Ordinal); i++)
                {
                    var below = byPath[sorted[i]];
                    if (below.Kind != EntryKind.Directory && below.Path != entry.Path)
                        rank = Math.Min(rank, RankOf(below, lookup, depth + 1));
                }
            }
        }
        else rank = application;
        ranks[entry.Path] = rank;
        return rank;
    }

    /// <summary>Where a symlink leads in the image, following further symlinks on the way; null if it leaves the tree or loops.</summary>
    private static string? Resolve(FileEntry link, Dictionary<string, FileEntry> byPath)
    {
        var start = link.LinkTarget!.StartsWith('/') ? link.LinkTarget : ImagePath.Combine(ImagePath.Parent(link.Path) ?? "/", link.LinkTarget);
        var (outcome, resolved) = SymlinkWalk.Walk(start, (candidate, _) =>
            byPath.TryGetValue(candidate, out var e) && e.Kind == EntryKind.Symlink && !string.IsNullOrEmpty(e.LinkTarget)
                ? SymlinkWalk.Node.Link(e.LinkTarget) : SymlinkWalk.Node.Present);
        return outcome == SymlinkWalk.Outcome.Resolved ? resolved : null;
    }

    private static void AddWithParents(HashSet<string> set, string path)
    {
        set.Add(path);
        foreach (var ancestor in ImagePath.Ancestors(path)) set.Add(ancestor);
    }

    // glibc's loader and the libraries built with it; old glibc names them libc-2.31.so and so on.
    [GeneratedRegex(@"^(ld-linux[^/]*\.so(\.[0-9.]+)?|ld64\.so\.[0-9]+|ld\.so\.[0-9]+|ld-[0-9.]+\.so|" +
                    @"(libc|libm|libmvec|libpthread|libdl|librt|libresolv|libanl|libutil|libBrokenLocale|libthread_db|libc_malloc_debug|libnsl)(\.so(\.[0-9.]+)?|-[0-9.]+\.so)|" +
                    @"libnss_[A-Za-z0-9_]+(\.so(\.[0-9.]+)?|-[0-9.]+\.so))$", RegexOptions.CultureInvariant)]
    private static partial Regex LibcName();
}
