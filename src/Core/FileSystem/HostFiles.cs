namespace TinyImage.Core.FileSystem;

/// <summary>
/// Copies paths of a host file system (or of a sysroot inside it) into a <see cref="FileTree"/>,
/// keeping every symlink met on the way, so that the path a program or the loader opens exists in
/// the image exactly as on the host: <c>/lib -> usr/lib</c>, <c>libtinfo.so.6 -> libtinfo.so.6.4</c>.
/// Absolute link targets and ".." are resolved inside <see cref="Root"/>, never above it.
/// </summary>
public sealed class HostFiles
{
    private const int MaxSymlinkHops = 40;

    public HostFiles(string root = "/")
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The host directory that stands for "/" of the image's source system.</summary>
    public string Root { get; }

    /// <summary>The host path of an absolute path inside <see cref="Root"/>.</summary>
    public string HostPath(string path) =>
        Root == "/" ? ImagePath.Normalize(path) : Root.TrimEnd('/') + ImagePath.Normalize(path);

    /// <summary>
    /// Resolves every symlink of <paramref name="path"/> inside the root (components in order, ".."
    /// after the symlinks before it, as path lookup in the kernel) and returns the real path
    /// (inside the root) with the symlinks met on the way, in order. Null when the path does not exist.
    /// </summary>
    public (string RealPath, IReadOnlyList<(string Path, string Target)> Links)? Resolve(string path) =>
        Resolve(path, null) is { } r ? (r.RealPath, r.Links) : null;

    /// <summary>
    /// <see cref="Resolve(string)"/>, also collecting in <paramref name="leftByDotDot"/> each directory
    /// that a ".." leaves: it is on no ancestor path of the result, yet must exist for the path to resolve.
    /// </summary>
    private (string RealPath, IReadOnlyList<(string Path, string Target)> Links)? Resolve(string path, List<string>? leftByDotDot)
    {
        var links = new List<(string, string)>();
        var hops = 0;
        var resolved = "/";
        // ".." is applied to the symlink-free path resolved so far, as the kernel does: "link/../x" is the
        // link target's parent's x, not a lexical "x" (an RPATH "$ORIGIN/link/../lib" depends on it).
        var pending = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        while (pending.Count > 0)
        {
            var name = pending.Dequeue();
            if (name == ".") continue;
            if (name == "..")
            {
                if (resolved != "/") leftByDotDot?.Add(resolved);
                resolved = ImagePath.Parent(resolved) ?? "/";
                continue;
            }
            var candidate = ImagePath.Combine(resolved, name);
            var info = new FileInfo(HostPath(candidate));
            if (info.LinkTarget is { } target)
            {
                if (++hops > MaxSymlinkHops)
                    throw new TinyImageException($"{path}: too many levels of symbolic links");
                links.Add((candidate, target));
                if (target.StartsWith('/')) resolved = "/";
                var rest = pending.ToArray();
                pending.Clear();
                foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries)) pending.Enqueue(part);
                foreach (var part in rest) pending.Enqueue(part);
                continue;
            }
            if (!info.Exists && !Directory.Exists(info.FullName)) return null;
            if (pending.Count > 0 && !Directory.Exists(info.FullName)) return null;
            resolved = candidate;
        }
        return (resolved, links);
    }

    /// <summary>
    /// Adds the regular file at <paramref name="path"/> (inside the root) to <paramref name="tree"/> at
    /// the same path, with every symlink on the way (and every directory a ".." steps out of), and
    /// returns the real path of the file.
    /// </summary>
    public string AddFile(FileTree tree, string path, string reason)
    {
        var leftByDotDot = new List<string>();
        var (realPath, links) = Resolve(path, leftByDotDot)
            ?? throw new TinyImageException($"{path}: no such file; check the path");
        var host = HostPath(realPath);
        if (Directory.Exists(host))
            throw new TinyImageException($"{path}: is a directory; use AddDirectory for directories");
        foreach (var (linkPath, target) in links)
            tree.Add(FileEntry.Link(linkPath, target, $"symlink on the path to {path}; {reason}"));
        foreach (var directory in leftByDotDot.Distinct(StringComparer.Ordinal))
            if (tree.Find(directory) is null)
                tree.Add(FileEntry.Directory(directory, ModeOf(HostPath(directory)), $"directory on the path to {path} (before '..'); {reason}"));
        tree.Add(FileEntry.HostFile(realPath, host, ModeOf(host), reason));
        return realPath;
    }

    /// <summary>Permission bits of a host file (07777).</summary>
    public static int ModeOf(string hostPath) => (int)File.GetUnixFileMode(hostPath) & 0xFFF;
}
