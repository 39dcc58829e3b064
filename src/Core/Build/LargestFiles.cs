using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Build;

/// <summary>One of the largest files of an image, and what brought it in: the chain of ELF links up to the recipe step.</summary>
/// <param name="Why">E.g. <c>needed by /usr/lib/postgresql/15/lib/llvmjit.so, added by AddDirectory at pg.tiny.csx(4)</c>.</param>
public sealed record LargeFile(string Path, long Size, string Why);

/// <summary>The files that make an image big, each with the chain that pulled it in, read from the entries' provenance.</summary>
public static class LargestFiles
{
    private const int MaxChain = 16;

    /// <summary>The <paramref name="count"/> largest regular files of <paramref name="entries"/>, largest first.</summary>
    public static IReadOnlyList<LargeFile> Of(IReadOnlyList<FileEntry> entries, int count)
    {
        var byPath = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        // A list sorted by a comparison, not LINQ ordering over (entry, size) tuples: no generic code to JIT-compile (issue 10).
        var files = entries.Where(e => e.Kind == EntryKind.File).ToList();
        files.Sort((a, b) => a.Size != b.Size ? b.Size.CompareTo(a.Size) : string.CompareOrdinal(a.Path, b.Path));
        return [.. files.Take(count).Select(f => new LargeFile(f.Path, f.Size, Why(f, byPath)))];
    }

    /// <summary>The entry at <paramref name="path"/>, through the image's symlinks (the loader names objects by the path it opened); null when it is not there, loops or was seen.</summary>
    private static FileEntry? Resolve(string path, Dictionary<string, FileEntry> byPath, HashSet<string> seen)
    {
        var (outcome, resolved) = SymlinkWalk.Walk(path, (candidate, _) =>
            byPath.TryGetValue(candidate, out var e) && e.Kind == EntryKind.Symlink ? SymlinkWalk.Node.Link(e.LinkTarget!) : SymlinkWalk.Node.Present);
        return outcome != SymlinkWalk.Outcome.TooManyLinks && seen.Add(resolved) && byPath.TryGetValue(resolved, out var entry) ? entry : null;
    }

    /// <summary>"needed by A, needed by B, added by STEP at FILE(LINE)": each requester's own provenance, to the step that began the chain.</summary>
    private static string Why(FileEntry entry, Dictionary<string, FileEntry> byPath)
    {
        var parts = new List<string>();
        var provenance = entry.Provenance;
        var seen = new HashSet<string>(StringComparer.Ordinal) { entry.Path };
        while (provenance.Need is { } need && parts.Count < MaxChain)
        {
            parts.Add(need.Rule == Elf.SearchRule.Interpreter ? $"ELF interpreter of {need.Requester}" : $"needed by {need.Requester}");
            if (Resolve(need.Requester, byPath, seen) is not { } requester) return string.Join(", ", parts);
            provenance = requester.Provenance;
        }
        parts.Add(provenance.Step.Length > 0 ? $"added by {provenance.Step} at {provenance.Where}" : provenance.Describe());
        return string.Join(", ", parts.Where(p => p.Length > 0));
    }
}
