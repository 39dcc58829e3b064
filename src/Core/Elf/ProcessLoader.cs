using System.Buffers.Binary;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>
/// Simulates glibc's ld.so starting one executable: the interpreter, then a breadth-first walk of
/// DT_NEEDED (glibc's <c>_dl_map_object_deps</c>), each name looked up among loaded objects first
/// (<c>_dl_lookup_map</c>) and otherwise searched for (<c>_dl_map_object</c>, <c>open_path</c>,
/// <c>open_verify</c>).
/// </summary>
internal sealed class ProcessLoader(ResolutionRun run, ElfInput input)
{
    private readonly string executable = input.ImagePath;
    private readonly List<LoadedObject> _loaded = [];
    private readonly Dictionary<string, LoadedObject> _byRealPath = new(StringComparer.Ordinal);
    private LoadedObject _main = null!;
    private LoaderDefaults _defaults = null!;

    private HostFiles Files => run.Files;

    public (DependencyNode Root, IReadOnlyList<ClosureFile> Files) Load()
    {
        if (!executable.StartsWith('/'))
            throw new TinyImageException($"{executable}: executable paths must be absolute paths inside the root");
        if (!input.SourcePath.StartsWith('/'))
            throw new TinyImageException($"{input.SourcePath}: executable paths must be absolute paths inside the root");
        var resolved = ResolveIn(input.Files, input.SourcePath)
            ?? throw new TinyImageException($"{executable}: no such file in {input.Files.Root}");
        if (HostFileStatus.Of(input.Files.HostPath(resolved)).IsDirectory)
            throw new TinyImageException($"{executable}: is a directory, not an executable");
        var info = run.ReadElf(input.Files, resolved);
        var inPlace = input.Files.Root == Files.Root && input.ImagePath == input.SourcePath;
        if (info.Type is not (ElfFileType.Executable or ElfFileType.SharedObject))
            throw new TinyImageException($"{executable}: not an executable (ELF type {info.Type})");

        _main = new LoadedObject
        {
            Path = executable, RealPath = resolved, Files = input.Files, Info = info,
            Origin = ResolutionRun.DirectoryOf(inPlace ? resolved : executable), SourceOrigin = ResolutionRun.DirectoryOf(resolved),
            Rule = SearchRule.Executable, NeededName = executable, FoundIn = "",
        };
        _loaded.Add(_main);
        _byRealPath[_main.Key] = _main;
        if (info.IsStatic)
            return (new DependencyNode { Name = executable, Path = executable, Rule = SearchRule.Executable, IsStatic = true }, []);

        _defaults = LoaderDefaults.For(info, run.Options);
        var files = new List<ClosureFile>();
        if (info.Interpreter is { } interp)
            files.Add(LoadInterpreter(interp));

        var queue = new Queue<LoadedObject>([_main]);
        var queued = new HashSet<LoadedObject> { _main };
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var name in current.Info.Needed)
            {
                var (target, loaded) = Map(name, current);
                current.Edges.Add((name, target, loaded));
                if (queued.Add(target)) queue.Enqueue(target);
            }
        }

        foreach (var lib in _loaded.Where(o => o.Rule is not (SearchRule.Executable or SearchRule.Interpreter)))
            files.Add(new ClosureFile(lib.Path, lib.NeededName, lib.Info.Soname, lib.Rule,
                $"{lib.NeededName}, needed by {lib.Loader!.Path}, found in {lib.FoundIn}")
            {
                ExtraPaths = lib.Rule == SearchRule.LdSoConf ? [ResolutionRun.Join(PlacementDirectory(), lib.NeededName)] : [],
                SourceHostPath = lib.Files.Root != Files.Root || lib.Path != lib.SourcePath ? lib.Key : null,
                NeededBy = lib.Loader!.Path,
                FoundIn = lib.FoundIn,
            });

        var root = new DependencyNode
        {
            Name = executable, Path = executable, Rule = SearchRule.Executable, Interpreter = info.Interpreter,
            Children = _main.Edges.Select(e => Node(e.Name, e.Target, !e.Loaded)).ToList(),
        };
        return (root, files);
    }

    /// <summary>
    /// The default directory where a library that only ld.so.cache would find is placed too: the
    /// first one that exists in the root without a symlink on its path (/usr/lib/x86_64-linux-gnu
    /// on a merged-/usr Debian, where /lib is a link), else the first one.
    /// </summary>
    private string PlacementDirectory()
    {
        foreach (var directory in _defaults.Directories)
        {
            try
            {
                if (run.Resolve(directory) is { } r && r.RealPath == ImagePath.Normalize(directory) && Directory.Exists(Files.HostPath(r.RealPath)))
                    return r.RealPath;
            }
            catch (TinyImageException)
            {
                // a symlink loop: try the next one
            }
        }
        return _defaults.Directories.Count > 0 ? _defaults.Directories[0] : "/usr/lib";
    }

    private ClosureFile LoadInterpreter(string interp)
    {
        if (!interp.StartsWith('/'))
            throw new TinyImageException(
                $"{executable}: its ELF interpreter '{interp}' is a relative path, which the kernel opens relative to the current directory; relink it with an absolute --dynamic-linker");
        var real = ResolveInRoot(interp)
            ?? throw new TinyImageException($"{executable}: its ELF interpreter {interp} does not exist in {Files.Root}; add it with AddFile or use a root that has it");
        if (HostFileStatus.Of(Files.HostPath(real)).IsDirectory)
            throw new TinyImageException($"{executable}: its ELF interpreter {interp} is a directory");
        ElfInfo info;
        try
        {
            info = run.ReadElf(Files, real);
        }
        catch (TinyImageException e)
        {
            throw new TinyImageException($"{executable}: its ELF interpreter {interp} is unusable: {e.Message}", e);
        }
        var reason = $"ELF interpreter of {executable}";
        var obj = new LoadedObject
        {
            Path = interp, RealPath = real, Files = Files, Info = info, Origin = ResolutionRun.DirectoryOf(interp),
            SourceOrigin = ResolutionRun.DirectoryOf(interp), Rule = SearchRule.Interpreter, NeededName = interp, FoundIn = reason,
        };
        obj.Names.Add(interp);
        _loaded.Add(obj);
        _byRealPath.TryAdd(obj.Key, obj);
        return new ClosureFile(interp, interp, info.Soname, SearchRule.Interpreter, reason) { NeededBy = executable };
    }

    private DependencyNode Node(string name, LoadedObject target, bool repeat) => new()
    {
        Name = name,
        Path = target.Path,
        Rule = target.Rule,
        IsRepeat = repeat,
        Children = repeat ? [] : target.Edges.Select(e => Node(e.Name, e.Target, !e.Loaded)).ToList(),
    };

    /// <summary>Finds or loads the object for DT_NEEDED <paramref name="name"/> of <paramref name="requester"/>; Loaded is true when this request loaded it.</summary>
    private (LoadedObject Target, bool Loaded) Map(string name, LoadedObject requester)
    {
        foreach (var obj in _loaded)
        {
            if (!obj.Answers(name)) continue;
            if (!obj.Names.Contains(name)) obj.Names.Add(name);
            return (obj, false);
        }
        return name.Contains('/') ? MapPath(name, requester) : Search(name, requester);
    }

    private (LoadedObject, bool) MapPath(string name, LoadedObject requester)
    {
        var path = DynamicStringTokens.Expand(name, requester.Origin, _defaults.Lib, _defaults.Platform)
            ?? throw new TinyImageException(
                $"{executable}: cannot load '{name}' (needed by {requester.Path}): a dynamic string token in it has no value for this machine");
        if (!path.StartsWith('/'))
            throw new TinyImageException(
                $"{executable}: {requester.Path} needs '{name}', a path relative to the current directory, which ld.so resolves against wherever the program is started (unportable relative DT_NEEDED); relink it with a plain soname and a RUNPATH");
        var (files, source) = ReadFrom(name, path, requester);
        var skipped = new List<string>();
        var found = TryCandidate(name, files, source, path, requester, skipped);
        if (found is null)
            throw new TinyImageException(
                $"{executable}: cannot find {name} (needed by {requester.Path}); it is a path and {path} {(skipped.Count > 0 ? "is unusable: " + skipped[0] : "does not exist")}; add it with AddFile or fix the DT_NEEDED");
        return Adopt(name, path, files, source, found.Value.RealPath, found.Value.Info, requester, SearchRule.DirectPath, "path in DT_NEEDED " + path);
    }

    private (LoadedObject, bool) Search(string name, LoadedObject requester)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var searched = new List<SearchDirectory>();
        var skipped = new List<string>();
        foreach (var directory in SearchDirectories(requester))
        {
            if (!tried.Add(directory.Path)) continue;
            searched.Add(directory);
            var (files, source) = directory.ReadFrom ?? (Files, directory.Path);
            foreach (var probe in run.Probes(files, source, _defaults.Subdirectories))
            {
                var inImage = directory.Path == source ? probe
                    : ResolutionRun.Join(directory.Path, probe[source.Length..].TrimStart('/')).TrimEnd('/') is { Length: > 0 } joined ? joined : "/";
                var candidate = ResolutionRun.Join(inImage, name);
                var sourceCandidate = ResolutionRun.Join(probe, name);
                if (TryCandidate(name, files, sourceCandidate, candidate, requester, skipped) is not { } found) continue;
                var where = $"{directory.Source} {inImage}";
                if (directory.Rule == SearchRule.LdSoConf)
                    where += " (ld.so reads only /etc/ld.so.cache, so the image needs that cache or the library on a default path)";
                return Adopt(name, candidate, files, sourceCandidate, found.RealPath, found.Info, requester, directory.Rule, where);
            }
        }
        throw new TinyImageException(
            $"{executable}: cannot find {name} (needed by {requester.Path}); searched {Describe(searched)}" +
            (skipped.Count > 0 ? "; skipped " + string.Join(", ", skipped) : "") +
            "; add it with AddFile or fix the RUNPATH");
    }

    /// <param name="path">The path in the image the loader opens.</param>
    /// <param name="files">The root the file is read from.</param>
    /// <param name="sourcePath">Its path in <paramref name="files"/> (equal to <paramref name="path"/> unless found through a relocated $ORIGIN).</param>
    private (LoadedObject, bool) Adopt(string name, string path, HostFiles files, string sourcePath, string realPath, ElfInfo info,
        LoadedObject requester, SearchRule rule, string foundIn)
    {
        if (_byRealPath.TryGetValue(files.HostPath(realPath), out var same))
        {
            if (!same.Names.Contains(name)) same.Names.Add(name);
            return (same, false);
        }
        if (info.Type == ElfFileType.Executable)
            throw Fatal(name, path, requester, "cannot dynamically load executable");
        if (info.IsPie)
            throw Fatal(name, path, requester, "cannot dynamically load position-independent executable");
        var obj = new LoadedObject
        {
            Path = path, RealPath = realPath, Files = files, SourcePath = sourcePath, Info = info, Loader = requester,
            Origin = ResolutionRun.DirectoryOf(path), SourceOrigin = ResolutionRun.DirectoryOf(sourcePath),
            Rule = rule, NeededName = name, FoundIn = foundIn,
        };
        obj.Names.Add(name);
        _loaded.Add(obj);
        _byRealPath[obj.Key] = obj;
        return (obj, true);
    }

    /// <summary>The search path for a name without '/', in glibc's order (dl-load.c, _dl_map_object).</summary>
    private IEnumerable<SearchDirectory> SearchDirectories(LoadedObject requester)
    {
        if (requester.Info.RunPath is null)
        {
            var didMain = false;
            for (var l = requester; l is not null; l = l.Loader)
            {
                if (l.Info.EffectiveRPath is not { } rpath) continue;
                foreach (var d in Split(rpath, l, SearchRule.RPath, $"RPATH of {l.Path}")) yield return d;
                didMain |= l == _main;
            }
            if (!didMain && _main.Info.EffectiveRPath is { } mainRPath)
                foreach (var d in Split(mainRPath, _main, SearchRule.RPath, $"RPATH of {_main.Path}")) yield return d;
        }
        foreach (var element in run.Options.LibraryPath)
            foreach (var d in Split(element, _main, SearchRule.LibraryPath, "LibraryPath")) yield return d;
        if (requester.Info.RunPath is { } runpath)
            foreach (var d in Split(runpath, requester, SearchRule.RunPath, $"RUNPATH of {requester.Path}")) yield return d;
        var noDefault = requester.Info.NoDefaultLib;
        foreach (var d in run.ConfDirectories)
        {
            // Under NODEFLIB glibc drops a cache entry whose path starts with a default directory, so one below it goes too.
            if (noDefault && _defaults.Directories.Any(def => IsInside(d, def))) continue;
            // A cached library in a default directory loads without the cache too, so it counts as the default path.
            var isDefault = _defaults.Directories.Contains(d);
            yield return isDefault
                ? new SearchDirectory(d, SearchRule.DefaultPath, "default path")
                : new SearchDirectory(d, SearchRule.LdSoConf, "ld.so.conf directory");
        }
        if (!noDefault)
            foreach (var d in _defaults.Directories)
                yield return new SearchDirectory(d, SearchRule.DefaultPath, "default path");
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or below it.</summary>
    private static bool IsInside(string path, string directory) =>
        path == directory || path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);

    private IEnumerable<SearchDirectory> Split(string list, LoadedObject owner, SearchRule rule, string source)
    {
        foreach (var element in list.Split(rule == SearchRule.LibraryPath ? [':', ';'] : [':']))
        {
            var expanded = DynamicStringTokens.Expand(element, owner.Origin, _defaults.Lib, _defaults.Platform);
            if (expanded is null) continue; // a known token without a value drops the element, as in glibc
            if (!expanded.StartsWith('/'))
            {
                run.Warnings.Add(
                    $"{executable}: {source} element '{element}' is relative to the current directory; skipped because it depends on where the program is started");
                continue;
            }
            var directory = TrimDirectory(expanded);
            var (files, from) = ReadFrom(element, directory, owner);
            yield return new SearchDirectory(directory, rule, source) { ReadFrom = files == Files && from == directory ? null : (files, TrimDirectory(from)) };
        }
    }

    private static string TrimDirectory(string path) => path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/";

    /// <summary>
    /// Where to read <paramref name="expanded"/> (the expansion of <paramref name="text"/> for <paramref name="owner"/>):
    /// through the $ORIGIN of a file the recipe put elsewhere in the image, the same place relative to the file's
    /// source; otherwise the path itself, in the root.
    /// </summary>
    private (HostFiles Files, string Path) ReadFrom(string text, string expanded, LoadedObject owner)
    {
        if (!owner.IsRelocated(Files) || !DynamicStringTokens.UsesOrigin(text)) return (Files, expanded);
        var source = DynamicStringTokens.Expand(text, owner.SourceOrigin, _defaults.Lib, _defaults.Platform) ?? expanded;
        return (owner.Files, source);
    }

    /// <summary>
    /// glibc's open_verify for one candidate path: null when it does not exist or is for another
    /// class or machine (the search goes on, and the latter is noted in <paramref name="skipped"/>);
    /// throws when ld.so would stop with an error.
    /// </summary>
    /// <param name="files">The root the candidate is read from.</param>
    /// <param name="sourceCandidate">The candidate's path in <paramref name="files"/>.</param>
    /// <param name="candidate">The candidate's path in the image, for messages.</param>
    private (string RealPath, ElfInfo Info)? TryCandidate(string name, HostFiles files, string sourceCandidate, string candidate,
        LoadedObject requester, List<string> skipped)
    {
        string? real;
        try
        {
            real = run.Resolve(files, sourceCandidate)?.RealPath;
        }
        catch (TinyImageException e)
        {
            throw Fatal(name, candidate, requester, e.Message);
        }
        if (real is null) return null;
        var host = files.HostPath(real);
        var status = HostFileStatus.Of(host);
        if (status.IsDirectory) throw Fatal(name, candidate, requester, "cannot read file data: Error 21 (Is a directory)");
        if (!status.IsFile) throw Fatal(name, candidate, requester, $"it is {status.Describe()}");

        var main = _main.Info;
        var header = new byte[64];
        var n = 0;
        using (var handle = ElfReader.Open(host))
            if (handle is not null) n = RandomAccess.Read(handle, header, 0);
        var ehsize = main.Class == ElfClass.Elf64 ? 64 : 52;
        if (n < ehsize) throw Fatal(name, candidate, requester, "file too short");
        if (!ElfReader.HasMagic(header)) throw Fatal(name, candidate, requester, "invalid ELF header");
        if (header[4] != (byte)main.Class)
        {
            skipped.Add($"{candidate} (wrong ELF class)");
            return null;
        }
        if (header[5] != (byte)main.Endianness)
            throw Fatal(name, candidate, requester,
                $"ELF file data encoding not {(main.Endianness == ElfEndianness.LittleEndian ? "little" : "big")}-endian");
        if (header[6] != 1) throw Fatal(name, candidate, requester, "ELF file version ident does not match current one");
        if (header[7] is not (0 or 3)) throw Fatal(name, candidate, requester, "ELF file OS ABI invalid");
        var big = main.Endianness == ElfEndianness.BigEndian;
        uint U32(int at) => big ? BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at));
        ushort U16(int at) => big ? BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(at));
        if (U32(20) != 1) throw Fatal(name, candidate, requester, "ELF file version does not match current one");
        if (U16(18) != main.Machine)
        {
            skipped.Add($"{candidate} (wrong machine {U16(18)})");
            return null;
        }
        if (U16(16) is not ((ushort)ElfFileType.SharedObject or (ushort)ElfFileType.Executable))
            throw Fatal(name, candidate, requester, "only ET_DYN and ET_EXEC can be loaded");
        var phentsize = U16(main.Class == ElfClass.Elf64 ? 54 : 42);
        if (phentsize != (main.Class == ElfClass.Elf64 ? 56 : 32))
            throw Fatal(name, candidate, requester, "ELF file's phentsize not the expected size");
        try
        {
            return (real, run.ReadElf(files, real));
        }
        catch (TinyImageException e)
        {
            throw Fatal(name, candidate, requester, "cannot read file data (" + e.Message + ")");
        }
    }

    private TinyImageException Fatal(string name, string candidate, LoadedObject requester, string reason) => new(
        $"{executable}: error while loading shared libraries: {name}: {reason} (file {candidate}, needed by {requester.Path}); ld.so stops at this file instead of searching on, so remove or replace it");

    private static string Describe(List<SearchDirectory> searched)
    {
        if (searched.Count == 0) return "no directory";
        var groups = new List<string>();
        foreach (var group in searched.GroupBy(d => d.Source))
            groups.Add($"{group.Key} [{string.Join(", ", group.Select(d => d.Path))}]");
        return string.Join(", ", groups);
    }

    private string? ResolveInRoot(string path) => ResolveIn(Files, path);

    private string? ResolveIn(HostFiles files, string path)
    {
        try
        {
            return run.Resolve(files, path)?.RealPath;
        }
        catch (TinyImageException e)
        {
            throw new TinyImageException($"{executable}: {e.Message}", e);
        }
    }
}
