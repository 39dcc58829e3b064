using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>State shared by the processes of one <see cref="LibraryResolver.Resolve"/> call: caches and warnings.</summary>
internal sealed class ResolutionRun(ResolverOptions options)
{
    private readonly Dictionary<string, ElfInfo> _elf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _probes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string RealPath, IReadOnlyList<(string Path, string Target)> Links)?> _resolved = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _confDirectories;

    public ResolverOptions Options { get; } = options;

    public HostFiles Files => Options.Files;

    public List<string> Warnings { get; } = [];

    /// <summary>The directories of ld.so.conf, read once.</summary>
    public IReadOnlyList<string> ConfDirectories =>
        _confDirectories ??= Options.LdSoConf is { } conf ? LdSoConf.ReadDirectories(Files, conf) : [];

    /// <summary>
    /// <see cref="HostFiles.Resolve"/>, once per path in a run: the loader's search asks for the same
    /// directories and libraries for every object, and the files do not change while it runs.
    /// </summary>
    public (string RealPath, IReadOnlyList<(string Path, string Target)> Links)? Resolve(string path) => Resolve(Files, path);

    /// <summary><see cref="Resolve(string)"/> inside <paramref name="files"/> (the root, or the host for a recipe's own files).</summary>
    public (string RealPath, IReadOnlyList<(string Path, string Target)> Links)? Resolve(HostFiles files, string path)
    {
        var key = Key(files, path);
        if (!_resolved.TryGetValue(key, out var resolved))
            _resolved[key] = resolved = files.Resolve(path);
        return resolved;
    }

    /// <summary>Reads the ELF file at <paramref name="realPath"/> (inside <paramref name="files"/>), once.</summary>
    public ElfInfo ReadElf(HostFiles files, string realPath)
    {
        var host = files.HostPath(realPath);
        if (!_elf.TryGetValue(host, out var info))
            _elf[host] = info = ElfReader.Read(host);
        return info;
    }

    /// <summary>
    /// The directories to try for <paramref name="directory"/>: each of <paramref name="subdirectories"/>
    /// that exists, then the directory itself; empty when it does not exist.
    /// </summary>
    public IReadOnlyList<string> Probes(HostFiles files, string directory, IReadOnlyList<string> subdirectories)
    {
        var key = Key(files, directory) + "\n" + string.Join('\n', subdirectories);
        if (_probes.TryGetValue(key, out var probes)) return probes;
        var list = new List<string>();
        if (IsDirectory(files, directory))
        {
            foreach (var sub in subdirectories)
            {
                var path = Join(directory, sub);
                if (IsDirectory(files, path)) list.Add(path);
            }
            list.Add(directory);
        }
        return _probes[key] = list;
    }

    /// <summary>Joins a directory and a name as ld.so does (no doubled slash after "/").</summary>
    public static string Join(string directory, string name) =>
        directory.EndsWith('/') ? directory + name : directory + "/" + name;

    /// <summary>The directory part of a path, without resolving anything ("/a/../b/x" gives "/a/../b").</summary>
    public static string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    private static string Key(HostFiles files, string path) => files.Root + "\0" + path;

    private bool IsDirectory(HostFiles files, string path)
    {
        try
        {
            return Resolve(files, path) is { } r && HostFileStatus.Of(files.HostPath(r.RealPath)).IsDirectory;
        }
        catch (TinyImageException)
        {
            return false;
        }
    }
}
