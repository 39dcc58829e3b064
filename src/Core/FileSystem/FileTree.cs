namespace TinyImage.Core.FileSystem;

/// <summary>
/// The files of one image: a set of entries keyed by absolute path, enumerated in ordinal order with
/// every parent directory present. Adding the same content twice is a no-op; a later file at the same
/// path replaces an earlier one, as a later COPY does in a Dockerfile. Paths are resolved through the
/// symlinks already in the tree, so a file added at /bin/x when /bin -> usr/bin lands at /usr/bin/x.
/// </summary>
public sealed class FileTree
{
    private const int DefaultDirectoryMode = 0x1ED; // 0755

    // A Dictionary, sorted when listed: a SortedDictionary of strings JIT-compiles some 40 generic methods at every
    // start, which ReadyToRun cannot precompile (issue 10).
    private readonly Dictionary<string, FileEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>The keys of <see cref="_entries"/> in ordinal order, made when first asked after a change.</summary>
    private string[]? _sortedPaths;

    // How many entries are under each path that has any, so that HasChildren does not scan every path: an image read
    // back for inspect has hundreds of thousands.
    private readonly Dictionary<string, int> _descendants = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>The paths added so far (without implicit parents), in ordinal order.</summary>
    public IEnumerable<string> Paths => _sortedPaths ??= [.. _entries.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Every entry sorted by path, with implicit parent directories (0755) filled in.</summary>
    public IReadOnlyList<FileEntry> Entries()
    {
        var all = new Dictionary<string, FileEntry>(_entries, StringComparer.Ordinal);
        foreach (var entry in _entries.Values)
            foreach (var ancestor in ImagePath.Ancestors(entry.Path))
                all.TryAdd(ancestor, FileEntry.Directory(ancestor, DefaultDirectoryMode, Provenance.ParentDirectory));
        return [.. all.Values.OrderBy(e => e.Path, StringComparer.Ordinal)];
    }

    public FileEntry? Find(string path) =>
        _entries.TryGetValue(ImagePath.Normalize(path), out var entry) ? entry : null;

    /// <summary>Gives the entry at <paramref name="path"/> (as <see cref="Entries"/> lists it) another provenance, e.g. with its package.</summary>
    public void SetProvenance(string path, Provenance provenance)
    {
        if (!_entries.TryGetValue(path, out var entry))
            throw new InvalidOperationException($"'{path}' is not in the tree");
        _entries[path] = entry with { Provenance = provenance }; // the same paths: _sortedPaths holds
    }

    /// <summary>Adds <paramref name="entry"/>, resolving its parent directories through symlinks already in the tree.</summary>
    public FileEntry Add(FileEntry entry)
    {
        var path = ResolveParents(ImagePath.Normalize(entry.Path));
        if (path == "/")
            throw new TinyImageException($"cannot add '{entry.Path}': the image root is always a directory");
        entry = entry with { Path = path };
        foreach (var ancestor in ImagePath.Ancestors(path))
            if (_entries.TryGetValue(ancestor, out var parent) && parent.Kind != EntryKind.Directory)
                throw new TinyImageException(
                    $"'{path}' is added under '{ancestor}', which is a {Describe(parent)} ({parent.Provenance.Describe()}); use another path");

        if (_entries.TryGetValue(path, out var existing))
        {
            if (SameContent(existing, entry)) return existing;
            if (existing.Kind == EntryKind.Directory && entry.Kind == EntryKind.Directory)
                return Put(path, entry); // a later MkDir sets the mode
            if (existing.Kind == EntryKind.Directory || entry.Kind == EntryKind.Directory || HasChildren(path))
                throw new TinyImageException(
                    $"'{path}' is added as a {Describe(entry)} but is already a {Describe(existing)} ({existing.Provenance.Describe()}); use another path");
        }
        else if (entry.Kind != EntryKind.Directory && HasChildren(path))
        {
            if (entry.Kind != EntryKind.Symlink)
                throw new TinyImageException(
                    $"'{path}' is added as a file but the image already has files under it; use another path");
            Put(path, entry);
            RehomeChildren(path);
            return entry;
        }
        return Put(path, entry);
    }

    /// <summary>
    /// Follows symlinks in the tree for every component but the last, so that the parent of the
    /// returned path is a real directory in the image (or absent, to be created).
    /// </summary>
    public string ResolveParents(string path)
    {
        var (outcome, resolved) = SymlinkWalk.Walk(path, (candidate, isLast) =>
            !isLast && _entries.TryGetValue(candidate, out var e) && e.Kind == EntryKind.Symlink ? SymlinkWalk.Node.Link(e.LinkTarget!) : SymlinkWalk.Node.Present);
        return outcome == SymlinkWalk.Outcome.TooManyLinks
            ? throw new TinyImageException($"too many levels of symbolic links resolving '{path}' in the image")
            : resolved;
    }

    private bool HasChildren(string path) => _descendants.ContainsKey(path);

    private FileEntry Put(string path, FileEntry entry)
    {
        if (!_entries.ContainsKey(path))
        {
            foreach (var ancestor in ImagePath.Ancestors(path)) _descendants[ancestor] = _descendants.GetValueOrDefault(ancestor) + 1;
            _sortedPaths = null;
        }
        return _entries[path] = entry;
    }

    private void Remove(string path)
    {
        if (!_entries.Remove(path)) return;
        _sortedPaths = null;
        foreach (var ancestor in ImagePath.Ancestors(path))
            if (--_descendants[ancestor] == 0) _descendants.Remove(ancestor);
    }

    private void RehomeChildren(string linkPath)
    {
        var prefix = linkPath + "/";
        var children = Paths.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => _entries[p]).ToList();
        foreach (var child in children) Remove(child.Path);
        foreach (var child in children) Add(child);
    }

    private static bool SameContent(FileEntry a, FileEntry b) =>
        a.Kind == b.Kind && a.Mode == b.Mode && a.Uid == b.Uid && a.Gid == b.Gid && a.LinkTarget == b.LinkTarget &&
        (a.Kind != EntryKind.File ||
         (a.SourcePath is not null && a.SourcePath == b.SourcePath) ||
         (a.Content is not null && b.Content is not null && a.Content.AsSpan().SequenceEqual(b.Content)));

    private static string Describe(FileEntry e) => e.Kind switch
    {
        EntryKind.Directory => "directory",
        EntryKind.Symlink => $"symlink to '{e.LinkTarget}'",
        _ => "file",
    };
}
