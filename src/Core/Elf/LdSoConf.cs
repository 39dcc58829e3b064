using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>
/// Reads the directory list of an ld.so.conf as ldconfig's <c>parse_conf</c> does: '#' comments,
/// <c>include</c> with glob patterns (relative to the including file's directory, matches sorted
/// ordinally, no match ignored), <c>hwcap</c> lines ignored, like every line that is neither an
/// include nor an absolute directory. A file included twice is read once, so include cycles end.
/// </summary>
internal static class LdSoConf
{
    private const int MaxFileBytes = 1 << 20;

    /// <summary>The absolute directories listed by <paramref name="confPath"/> (inside the root), in order, without duplicates. Empty when the file is absent.</summary>
    public static IReadOnlyList<string> ReadDirectories(HostFiles files, string confPath)
    {
        var directories = new List<string>();
        Parse(files, ImagePath.Normalize(confPath), directories, new HashSet<string>(StringComparer.Ordinal));
        return directories.Distinct(StringComparer.Ordinal).ToList();
    }

    private static void Parse(HostFiles files, string path, List<string> directories, HashSet<string> visited)
    {
        var resolved = TryResolve(files, path);
        if (resolved is null || !visited.Add(resolved)) return;
        var host = files.HostPath(resolved);
        if (!HostFileStatus.Of(host).IsFile) return;

        var baseDirectory = ImagePath.Parent(path) ?? "/";
        string[] lines;
        try
        {
            lines = RegularFile.ReadAllLines(host, MaxFileBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
        {
            throw new TinyImageException($"{path}: cannot read ld.so.conf file: {e.Message}", e);
        }
        foreach (var raw in lines)
        {
            var hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0) continue;
            if (IsDirective(line, "include"))
            {
                foreach (var pattern in line[7..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                {
                    var full = pattern.StartsWith('/') ? pattern : ImagePath.Combine(baseDirectory, pattern);
                    foreach (var match in Glob(files, ImagePath.Normalize(full)))
                        Parse(files, match, directories, visited);
                }
            }
            else if (line.StartsWith('/'))
            {
                directories.Add(ImagePath.Normalize(line));
            }
        }
    }

    private static bool IsDirective(string line, string word) =>
        line.Length > word.Length && line.StartsWith(word, StringComparison.OrdinalIgnoreCase) && (line[word.Length] is ' ' or '\t');

    /// <summary>Files matching an absolute glob pattern inside the root, sorted ordinally.</summary>
    internal static IReadOnlyList<string> Glob(HostFiles files, string pattern)
    {
        var current = new List<string> { "/" };
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var next = new List<string>();
            foreach (var directory in current)
            {
                if (part.IndexOfAny(['*', '?', '[']) < 0)
                {
                    next.Add(ImagePath.Combine(directory, part));
                    continue;
                }
                var real = TryResolve(files, directory);
                if (real is null || !Directory.Exists(files.HostPath(real))) continue;
                InputRecorder.Observe(files.HostPath(real));
                foreach (var entry in Directory.EnumerateFileSystemEntries(files.HostPath(real)))
                {
                    var name = Path.GetFileName(entry);
                    if (name.StartsWith('.') && !part.StartsWith('.')) continue;
                    if (Wildcard.IsMatch(name, part)) next.Add(ImagePath.Combine(directory, name));
                }
            }
            current = next;
        }
        return current
            .Where(p => TryResolve(files, p) is { } r && File.Exists(files.HostPath(r)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static string? TryResolve(HostFiles files, string path)
    {
        try
        {
            return files.Resolve(path)?.RealPath;
        }
        catch (TinyImageException)
        {
            return null;
        }
    }
}
