namespace TinyImage.Core.Sources;

/// <summary>
/// The file system an engine unpacks from an image's layers, bottom first: later entries replace earlier ones (a
/// directory over a directory keeps its contents, anything else over a directory removes them), and a layer's
/// whiteouts (<c>.wh.NAME</c> removes NAME, <c>.wh..wh..opq</c> empties its directory) remove what the layers below
/// hold, never what the layer itself adds. Memory is bounded, whatever the layers hold: paths longer than
/// <see cref="MaxPathLength"/> and entries beyond a budget are counted in <see cref="NotKept"/>, not kept, and link
/// targets are cut at that length.
/// </summary>
public sealed class MergedLayers
{
    /// <summary>The longest path kept: PATH_MAX, beyond which no program can name a file in one call.</summary>
    public const int MaxPathLength = 4096;

    /// <summary>The default budget: about 64 MB of paths, some 500,000 files.</summary>
    public const long DefaultBudget = 32L << 20;

    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";

    /// <summary>What keeping an entry costs against the budget besides its path's characters: its share of the collections.</summary>
    private const int EntryCost = 64;

    private readonly long _budget;
    private readonly SortedSet<string> _paths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (LayerEntry Entry, int Layer)> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LayerEntry> _added = new(StringComparer.Ordinal);
    private long _used;

    /// <param name="budget">How much to keep: each entry costs the characters of its path and link target plus a fixed overhead.</param>
    public MergedLayers(long budget = DefaultBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budget);
        _budget = budget;
    }

    /// <summary>Entries not kept: paths longer than <see cref="MaxPathLength"/>, or over the budget.</summary>
    public long NotKept { get; private set; }

    /// <summary>Every entry kept, by path in ordinal order (parents before children), with the number of the layer that added it.</summary>
    public IEnumerable<(LayerEntry Entry, int Layer)> Files => _paths.Select(path => _files[path]);

    /// <summary>Applies the entries of layer <paramref name="layer"/> (numbered from 1), read as they come.</summary>
    public void AddLayer(IEnumerable<LayerEntry> entries, int layer)
    {
        foreach (var entry in entries)
        {
            if (entry.Path.Length > MaxPathLength) { NotKept++; continue; }
            var (parent, name) = Split(entry.Path);
            if (name == OpaqueWhiteout) RemoveUnder(parent);
            else if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var removed = parent == "/" ? "/" + name[WhiteoutPrefix.Length..] : parent + "/" + name[WhiteoutPrefix.Length..];
                Remove(removed);
                RemoveUnder(removed);
            }
            else if (entry.Path != "/")
            {
                var kept = entry.LinkTarget is { Length: > MaxPathLength } target ? entry with { LinkTarget = target[..MaxPathLength] + "…" } : entry;
                var replaced = _added.TryGetValue(kept.Path, out var earlier) ? Cost(earlier) : 0;
                if (_used - replaced + Cost(kept) > _budget) NotKept++;
                else
                {
                    _added[kept.Path] = kept;
                    _used += Cost(kept) - replaced;
                }
            }
        }
        // In path order, so that a directory replaced by a file loses the lower layers' contents before this layer's own are added.
        foreach (var path in _added.Keys.Order(StringComparer.Ordinal))
        {
            var entry = _added[path];
            _used -= Cost(entry);
            if (_files.TryGetValue(path, out var existing))
            {
                if (entry.IsDirectory && existing.Entry.IsDirectory) continue;
                if (existing.Entry.IsDirectory) RemoveUnder(path);
                Remove(path);
            }
            _paths.Add(path);
            _files[path] = (entry, layer);
            _used += Cost(entry);
        }
        _added.Clear();
    }

    /// <summary>What keeping an entry costs: its path, its link target (cut at <see cref="MaxPathLength"/>) and a fixed overhead.</summary>
    private static long Cost(LayerEntry entry) => entry.Path.Length + (entry.LinkTarget?.Length ?? 0) + EntryCost;

    private static (string Parent, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return (slash == 0 ? "/" : path[..slash], path[(slash + 1)..]);
    }

    private void Remove(string path)
    {
        if (!_files.Remove(path, out var removed)) return;
        _paths.Remove(path);
        _used -= Cost(removed.Entry);
    }

    private void RemoveUnder(string directory)
    {
        var prefix = directory == "/" ? "/" : directory + "/";
        // Every path that starts with "DIR/" sorts between "DIR/" and "DIR0" ('0' follows '/').
        var under = _paths.GetViewBetween(prefix, prefix[..^1] + "0").Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var path in under) Remove(path);
    }
}
