using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Needs;

/// <summary>Where else a program of a given name is, when the path a recipe gave does not exist (<c>/usr/bin/nginx</c> is <c>/usr/sbin/nginx</c>).</summary>
public static class ProgramLocations
{
    /// <summary>The bin directories every root is searched in, in the order of Docker's default PATH.</summary>
    public static readonly IReadOnlyList<string> BinDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>
    /// The first regular file named as <paramref name="path"/>'s last component in the bin directories of
    /// <paramref name="files"/> and, for the host's root, the directories of <paramref name="hostPath"/> (the PATH); null when none.
    /// </summary>
    public static string? Elsewhere(HostFiles files, string path, string? hostPath)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (name.Length == 0 || name is "." or "..") return null;
        var extra = files.Root == "/" && hostPath is not null ? hostPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(d => d.StartsWith('/')) : [];
        return BinDirectories.Concat(extra).Select(d => ImagePath.Combine(ImagePath.Normalize(d), name))
            .Where(p => p != ImagePath.Normalize(path))
            .FirstOrDefault(p => files.Resolve(p) is { } r && files.Status(r.RealPath).IsFile);
    }
}
