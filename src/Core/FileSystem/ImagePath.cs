namespace TinyImage.Core.FileSystem;

/// <summary>Normalizes and splits absolute paths inside an image (always '/'-separated).</summary>
public static class ImagePath
{
    /// <summary>
    /// Returns <paramref name="path"/> as an absolute path with no empty, "." or ".." components.
    /// ".." never climbs above the root, as in a chroot.
    /// </summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>The parent of a normalized path; the root's parent is null.</summary>
    public static string? Parent(string path)
    {
        if (path == "/") return null;
        var slash = path.LastIndexOf('/');
        return slash == 0 ? "/" : path[..slash];
    }

    /// <summary>Every ancestor of a normalized path, outermost first, excluding the root and the path itself.</summary>
    public static IEnumerable<string> Ancestors(string path)
    {
        for (var i = path.IndexOf('/', 1); i > 0; i = path.IndexOf('/', i + 1))
            yield return path[..i];
    }

    /// <summary>
    /// Refuses a NUL character in <paramref name="value"/>, a path or a link target: every tar reader and the kernel stop
    /// a name at the first NUL, so "/a\0b" would silently become "/a". (Any other character can be in a file name.)
    /// </summary>
    /// <param name="what">What the value is, for the message: "a path in the image", "the link target".</param>
    /// <exception cref="TinyImageException">The value holds a NUL.</exception>
    public static void RefuseNul(string value, string what)
    {
        if (value.Contains('\0'))
            throw new TinyImageException($"'{value.Replace("\0", "\\0", StringComparison.Ordinal)}': {what} cannot contain a NUL character (\\0), which ends a file name; remove it");
    }

    public static string Combine(string directory, string name) =>
        directory == "/" ? "/" + name : directory + "/" + name;
}
