namespace TinyImage.Core.FileSystem;

/// <summary>
/// Copies paths of a host file system (or of a sysroot inside it) into a <see cref="FileTree"/>,
/// keeping every symlink met on the way, so that the path a program or the loader opens exists in
/// the image exactly as on the host: <c>/lib -> usr/lib</c>, <c>libtinfo.so.6 -> libtinfo.so.6.4</c>.
/// Absolute link targets and ".." are resolved inside <see cref="Root"/>, never above it.
/// </summary>
public sealed class HostFiles
{
    private readonly Func<string, string>? _howToInstall;

    /// <param name="root">The host directory that stands for "/".</param>
    /// <param name="howToInstall">
    /// Advice for a missing package's files, given the package name ("add \"netbase\" to Install(...)"), from the
    /// root that knows how it gets packages; null: apt-get on the host, or installing into the sysroot.
    /// </param>
    public HostFiles(string root = "/", Func<string, string>? howToInstall = null)
    {
        Root = Path.GetFullPath(root);
        _howToInstall = howToInstall;
    }

    /// <summary>Where files are, for messages: "on the host" or "in the root /srv/rootfs".</summary>
    public string Where => Root == "/" ? "on the host" : $"in the root {Root}";

    /// <summary>What to do when the files of <paramref name="package"/> are missing: "install it with: apt-get install netbase".</summary>
    public string HowToInstall(string package) =>
        _howToInstall?.Invoke(package) ?? (Root == "/" ? $"install it with: apt-get install {package}" : $"install the package {package} into the root {Root}");

    /// <summary><see cref="Where"/> as a noun: "the host" or "the root /srv/rootfs".</summary>
    public string Describe() => Root == "/" ? "the host" : $"the root {Root}";

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
        var (outcome, resolved) = SymlinkWalk.Walk(path, (candidate, _) =>
        {
            var status = HostFileStatus.Of(HostPath(candidate));
            return status.Kind switch
            {
                HostFileKind.Missing => SymlinkWalk.Node.Missing,
                HostFileKind.Symlink => SymlinkWalk.Node.Link(new FileInfo(HostPath(candidate)).LinkTarget ?? ""),
                _ => new SymlinkWalk.Node(true, status.IsDirectory, null),
            };
        }, links, leftByDotDot);
        return outcome switch
        {
            SymlinkWalk.Outcome.Resolved => (resolved, links),
            SymlinkWalk.Outcome.TooManyLinks => throw new TinyImageException($"{path}: too many levels of symbolic links"),
            _ => null,
        };
    }

    /// <summary>The status of <paramref name="realPath"/> (a path inside the root whose symlinks are resolved), never following a link.</summary>
    public HostFileStatus Status(string realPath) => HostFileStatus.Of(HostPath(realPath));

    /// <summary>
    /// Adds the regular file at <paramref name="path"/> (inside the root) to <paramref name="tree"/> at
    /// the same path, with every symlink on the way (and every directory a ".." steps out of), and
    /// returns the real path of the file.
    /// </summary>
    /// <exception cref="TinyImageException">It does not exist, or is not a regular file.</exception>
    public string AddFile(FileTree tree, string path, Provenance reason)
    {
        var leftByDotDot = new List<string>();
        var (realPath, links) = Resolve(path, leftByDotDot)
            ?? throw new TinyImageException($"{path}: no such file; check the path");
        var host = HostPath(realPath);
        var status = RequireFile(path, realPath);
        foreach (var (linkPath, target) in links)
            tree.Add(FileEntry.Link(linkPath, target, reason.Because($"symlink on the path to {path}")));
        foreach (var directory in leftByDotDot.Distinct(StringComparer.Ordinal))
            if (tree.Find(directory) is null)
                tree.Add(FileEntry.Directory(directory, Status(directory).Mode, reason.Because($"directory on the path to {path} (before '..')")));
        tree.Add(FileEntry.HostFile(realPath, host, status.Mode, reason));
        return realPath;
    }

    /// <summary>The status of the file <paramref name="path"/> resolves to (<paramref name="realPath"/>), which must be a regular file.</summary>
    /// <exception cref="TinyImageException">It is a directory, a FIFO, a socket or a device.</exception>
    public HostFileStatus RequireFile(string path, string realPath)
    {
        var status = Status(realPath);
        if (status.IsFile) return status;
        throw new TinyImageException(status.IsDirectory
            ? $"{path}: is a directory; use AddDirectory for directories"
            : $"{path}: is {status.Describe()}; only regular files, directories and symlinks go into an image");
    }

    /// <summary>
    /// Copies the directory tree at <paramref name="path"/> (inside the root; symlinks on the way to it are followed
    /// inside the root) to <paramref name="destination"/> in <paramref name="tree"/>. Inside the tree nothing is
    /// followed: a symlink is copied as a symlink, whatever it points to, and a FIFO, socket or device stops the copy.
    /// </summary>
    /// <param name="normaliseModes">Give files 0755 (when the owner may execute them) or 0644, and directories 0755.</param>
    /// <returns>The regular files copied: where each is in the image and its host path.</returns>
    /// <param name="filter">Which paths to copy (<see cref="PathFilter"/>); null: all. With include patterns, a directory goes in only when something in it does.</param>
    public IReadOnlyList<(string ImagePath, string HostPath)> AddDirectory(FileTree tree, string path, string destination, Provenance reason, bool normaliseModes,
        PathFilter? filter = null)
    {
        filter ??= PathFilter.All;
        var (realPath, _) = Resolve(path) ?? throw new TinyImageException($"{path}: no such directory; check the path");
        var status = Status(realPath);
        if (!status.IsDirectory)
            throw new TinyImageException($"{path}: is {status.Describe()}, not a directory; use AddFile for files");
        var files = new List<(string, string)>();
        tree.Add(FileEntry.Directory(destination, normaliseModes ? NormalisedMode(status) : status.Mode, reason));
        var root = ImagePath.Normalize(destination);
        var pending = new Stack<(string Host, string InImage)>();
        pending.Push((HostPath(realPath), root));
        // With include patterns, directories are kept aside and added only above something that goes in.
        var directories = new Dictionary<string, int>(StringComparer.Ordinal);
        void AddParents(string entryPath)
        {
            var missing = new Stack<(string Path, int Mode)>();
            for (var parent = ImagePath.Parent(entryPath); parent is not null && parent.Length > root.Length && directories.Remove(parent, out var mode); parent = ImagePath.Parent(parent))
                missing.Push((parent, mode));
            foreach (var (parent, mode) in missing) tree.Add(FileEntry.Directory(parent, mode, reason)); // outermost first
        }
        while (pending.Count > 0)
        {
            var (directory, inImage) = pending.Pop();
            IEnumerable<string> names;
            try
            {
                InputRecorder.Observe(directory);
                names = System.IO.Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TinyImageException($"{directory}: cannot list it: {e.Message}; check its permissions", e);
            }
            foreach (var name in names)
            {
                var host = Path.Combine(directory, name);
                var entryPath = ImagePath.Combine(inImage, name);
                var relative = entryPath[(root == "/" ? 1 : root.Length + 1)..];
                if (filter.Excludes(relative)) continue;
                var entry = HostFileStatus.Of(host);
                if (entry.Kind is HostFileKind.Symlink or HostFileKind.File && !filter.Includes(relative)) continue;
                switch (entry.Kind)
                {
                    case HostFileKind.Symlink:
                        AddParents(entryPath);
                        tree.Add(FileEntry.Link(entryPath, new FileInfo(host).LinkTarget ?? "", reason));
                        break;
                    case HostFileKind.Directory:
                        var mode = normaliseModes ? NormalisedMode(entry) : entry.Mode;
                        if (filter.HasIncludes) directories[entryPath] = mode;
                        else tree.Add(FileEntry.Directory(entryPath, mode, reason));
                        pending.Push((host, entryPath));
                        break;
                    case HostFileKind.File:
                        AddParents(entryPath);
                        tree.Add(FileEntry.HostFile(entryPath, host, normaliseModes ? NormalisedMode(entry) : entry.Mode, reason));
                        files.Add((entryPath, host));
                        break;
                    case HostFileKind.Missing:
                        break; // removed while listing
                    default:
                        throw new TinyImageException($"{host}: is {entry.Describe()}; only regular files, directories and symlinks go into an image, so remove it or add files one by one");
                }
            }
        }
        return files;
    }

    /// <summary>The mode of a file from a recipe's own tree in the image: 0755 for directories and owner-executable files, else 0644.</summary>
    public static int NormalisedMode(HostFileStatus status) =>
        status.IsDirectory || (status.Mode & 0x40) != 0 ? 0x1ED : 0x1A4;

    /// <summary>Permission bits of a host file (07777), not following a final symlink.</summary>
    public static int ModeOf(string hostPath) => HostFileStatus.Of(hostPath).Mode;
}
