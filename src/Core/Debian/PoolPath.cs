namespace TinyImage.Core.Debian;

/// <summary>Checks paths that an index or a lock gives relative to a mirror's root (<c>pool/main/h/hello/hello_2.10-3_amd64.deb</c>).</summary>
internal static class PoolPath
{
    /// <summary>IsSafe is true for a relative path of plain components: no '/' at the start, no empty, "." or ".." component, no backslash or control character (the components are escaped in URLs).</summary>
    public static bool IsSafe(string path)
    {
        if (path.Length is 0 or > 1024 || path[0] == '/') return false;
        foreach (var c in path)
            if (char.IsControl(c) || c == '\\') return false;
        foreach (var part in path.Split('/'))
            if (part is "" or "." or "..") return false;
        return true;
    }
}
