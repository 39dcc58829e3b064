namespace TinyImage.Tests.Integration;

/// <summary>Facts about the test machine's files, from independent sources: `ldd` and readlink.</summary>
public static class HostPaths
{
    /// <summary>The files `ldd` says a program loads (interpreter included, vdso excluded), as ldd spells them.</summary>
    public static IReadOnlyList<string> LddFiles(string program)
    {
        var ldd = Run.Process("ldd", [program]);
        Assert.True(ldd.ExitCode == 0, ldd.ToString());
        var files = new List<string>();
        foreach (var line in ldd.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var arrow = line.IndexOf("=> ", StringComparison.Ordinal);
            var path = (arrow >= 0 ? line[(arrow + 3)..] : line).Split(' ')[0];
            if (path.StartsWith('/')) files.Add(path);
        }
        return files;
    }

    /// <summary>Every symlink met resolving <paramref name="path"/>, and the file it ends at.</summary>
    public static IEnumerable<string> OnTheWayTo(string path)
    {
        var result = new List<string>();
        var pending = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = "";
        for (var hops = 0; pending.Count > 0 && hops < 100; hops++)
        {
            var candidate = current + "/" + pending.Dequeue();
            var target = new FileInfo(candidate).LinkTarget;
            if (target is null) { current = candidate; continue; }
            result.Add(candidate);
            var rest = pending.ToList();
            pending.Clear();
            if (target.StartsWith('/')) current = "";
            foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "..") current = current[..current.LastIndexOf('/')];
                else pending.Enqueue(part);
            }
            foreach (var part in rest) pending.Enqueue(part);
        }
        result.Add(current);
        return result;
    }
}
