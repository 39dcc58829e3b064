using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// Turns the steps of an <see cref="ImageSpec"/> into the image's <see cref="FileTree"/>: copies
/// binaries, files and directories, and for <see cref="WithLibsStep"/> adds the loader and the
/// shared-library closure of every ELF file added before it, as the resolver finds them. The steps
/// for what no DT_NEEDED names (NSS, gconv, dlopen'd libraries, data files, traces) are in
/// TreeAssembler.Runtime.cs.
/// </summary>
public sealed partial class TreeAssembler
{
    private const int MaxInterpreterDepth = 4; // Linux follows at most a few levels of #! interpreters.

    private readonly HostFiles _host;
    private readonly LibraryResolver _resolver;
    private readonly LibraryLocator _locator;
    private readonly ProgramTracer _tracer;

    public TreeAssembler(ResolverOptions options, ProgramTracer? tracer = null)
    {
        _host = options.Files;
        _resolver = new LibraryResolver(options);
        _locator = new LibraryLocator(options);
        _tracer = tracer ?? new ProgramTracer();
    }

    /// <summary>The result: the files, and the OCI architecture of the first ELF file added (null if none).</summary>
    public sealed record Result(FileTree Tree, string? Architecture)
    {
        /// <summary>The layers the recipe named, in order, with the paths their steps added.</summary>
        public IReadOnlyList<LayerAssignment> Layers { get; init; } = [];
    }

    public Result Assemble(ImageSpec spec)
    {
        var state = new State();
        var layers = new List<(string Name, HashSet<string> Paths)>();
        foreach (var step in spec.Steps)
        {
            try
            {
                var before = step.Layer is null ? null : state.Tree.Paths.ToHashSet(StringComparer.Ordinal);
                Apply(step, state);
                if (step.Layer is { } name)
                {
                    var index = layers.FindIndex(l => l.Name == name);
                    if (index < 0) layers.Add((name, new HashSet<string>(StringComparer.Ordinal)));
                    layers[index < 0 ? ^1 : index].Paths.UnionWith(state.Tree.Paths.Where(p => !before!.Contains(p)));
                }
            }
            catch (TinyImageException e) when (step.Origin is { } origin && !e.Message.StartsWith(origin.ToString(), StringComparison.Ordinal))
            {
                throw new TinyImageException(SourceLocation.Prefix(origin, e.Message), e);
            }
        }
        return new Result(state.Tree, state.Architecture) { Layers = [.. layers.Select(l => new LayerAssignment(l.Name, l.Paths))] };
    }

    private void Apply(BuildStep step, State state)
    {
        var tree = state.Tree;
        switch (step)
        {
            case AddBinaryStep s:
                AddExecutable(s.Source, s.Destination, $"AddBinary at {Where(s)}", state, depth: 0);
                break;
            case AddFileStep s:
                RequireFile(s.Source, "AddFile");
                tree.Add(FileEntry.HostFile(s.Destination, s.Source, s.Mode ?? HostFiles.ModeOf(s.Source), $"AddFile at {Where(s)}"));
                NoteIfElf(s.Source, state);
                break;
            case AddDirectoryStep s:
                AddDirectory(s, state);
                break;
            case AddTextStep s:
                tree.Add(FileEntry.Inline(s.Destination, System.Text.Encoding.UTF8.GetBytes(s.Text), s.Mode, $"AddText at {Where(s)}"));
                break;
            case SymlinkStep s:
                tree.Add(FileEntry.Link(s.Path, s.Target, $"Symlink at {Where(s)}"));
                break;
            case MkDirStep s:
                tree.Add(FileEntry.Directory(s.Path, s.Mode, $"MkDir at {Where(s)}"));
                break;
            case WithLibsStep:
                AddClosure(state.ElfFiles, state);
                break;
            default:
                if (ApplyRuntimeStep(step, state)) break;
                throw new InvalidOperationException($"unknown build step {step.GetType().Name}");
        }
    }

    private void AddExecutable(string source, string destination, string reason, State state, int depth)
    {
        var bytes = ContentPath(source);
        RequireFile(bytes, "AddBinary");
        if (ElfReader.IsElf(bytes))
        {
            var info = ElfReader.Read(bytes);
            state.Architecture ??= info.OciArchitecture;
            CopyExecutable(source, bytes, destination, reason, state);
            var elfPath = InRoot(source) ?? source;
            NoteElf(elfPath, state);
            if (elfPath != destination) state.ImagePaths[elfPath] = destination;
            return;
        }
        var shebang = ShebangReader.ReadInterpreter(bytes)
            ?? throw new TinyImageException($"{source}: not an ELF executable or a #! script; add data files with AddFile");
        if (depth >= MaxInterpreterDepth)
            throw new TinyImageException($"{source}: #! interpreters nest more than {MaxInterpreterDepth} levels deep");
        CopyExecutable(source, bytes, destination, reason, state);
        var interpreter = shebang.Interpreter;
        var interpreterReason = $"#! interpreter of {destination}";
        AddExecutable(_host.HostPath(interpreter), interpreter, interpreterReason, state, depth + 1);
        if (Path.GetFileName(interpreter) == "env" && shebang.Argument is { Length: > 0 } program && !program.StartsWith('-'))
        {
            var found = FindOnPath(program)
                ?? throw new TinyImageException($"{source}: '#!{interpreter} {program}': {program} is not in /usr/local/bin, /usr/bin or /bin; add it with AddBinary");
            AddExecutable(_host.HostPath(found), found, $"{program}, run by {interpreter} for {destination}", state, depth + 1);
        }
    }

    /// <param name="bytes">Where the file's bytes are on the host (<see cref="ContentPath"/>).</param>
    private void CopyExecutable(string source, string bytes, string destination, string reason, State state)
    {
        if (InRoot(source) == destination)
            _host.AddFile(state.Tree, destination, reason); // keep /bin -> usr/bin and other links on the way
        else
            state.Tree.Add(FileEntry.HostFile(destination, Path.GetFullPath(ResolveHostLinks(bytes)), HostFiles.ModeOf(bytes), reason));
    }

    /// <summary>
    /// The host path holding a source's bytes. Inside a root, symlinks are followed inside it (an absolute link
    /// such as /etc/alternatives/x means the root's, never the host's).
    /// </summary>
    private string ContentPath(string source) =>
        _host.Root != "/" && InRoot(source) is { } path && _host.Resolve(path) is { } resolved ? _host.HostPath(resolved.RealPath) : source;

    private void AddDirectory(AddDirectoryStep step, State state)
    {
        if (!Directory.Exists(step.Source))
            throw new TinyImageException($"AddDirectory: '{step.Source}' is not a directory; check the path");
        CopyDirectory(step.Source, step.Destination, $"AddDirectory at {Where(step)}", state);
    }

    private void CopyDirectory(string source, string destination, string reason, State state)
    {
        var root = new DirectoryInfo(source);
        state.Tree.Add(FileEntry.Directory(destination, HostFiles.ModeOf(root.FullName), reason));
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        foreach (var info in root.EnumerateFileSystemInfos("*", options))
        {
            var inImage = ImagePath.Normalize(destination + "/" + Path.GetRelativePath(root.FullName, info.FullName));
            if (info.LinkTarget is { } target)
                state.Tree.Add(FileEntry.Link(inImage, target, reason));
            else if (info is DirectoryInfo)
                state.Tree.Add(FileEntry.Directory(inImage, HostFiles.ModeOf(info.FullName), reason));
            else if ((info.Attributes & FileAttributes.Device) == 0 && File.Exists(info.FullName))
            {
                state.Tree.Add(FileEntry.HostFile(inImage, info.FullName, HostFiles.ModeOf(info.FullName), reason));
                NoteIfElf(info.FullName, state);
            }
            else
                throw new TinyImageException($"AddDirectory: '{info.FullName}' is not a regular file, directory or symlink; remove it or add files one by one");
        }
    }

    /// <summary>
    /// Adds the loader and library closure of <paramref name="executables"/>. A library that only
    /// ld.so.conf finds (the image has no /etc/ld.so.cache) also gets a link on a default path.
    /// </summary>
    private void AddClosure(IEnumerable<string> executables, State state)
    {
        foreach (var file in _resolver.Resolve(executables).Files)
        {
            // Name a program by where it is in the image, not where it was read from, so the reasons are the same from any checkout.
            var reason = state.ImagePaths.Aggregate(file.Reason, (text, path) => text.Replace(path.Key, path.Value, StringComparison.Ordinal));
            _host.AddFile(state.Tree, file.Path, reason);
            foreach (var extra in file.ExtraPaths)
                state.Tree.Add(FileEntry.Link(extra, file.Path, $"{file.NeededName} on a default path: an image has no /etc/ld.so.cache; {reason}"));
        }
    }

    /// <summary>The path inside the root of a host path under it, or null when it is outside the root.</summary>
    private string? InRoot(string hostPath)
    {
        if (_host.Root == "/") return hostPath;
        var relative = Path.GetRelativePath(_host.Root, hostPath);
        return relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : "/" + relative;
    }

    private static void RequireFile(string path, string call)
    {
        if (Directory.Exists(path))
            throw new TinyImageException($"{call}: '{path}' is a directory; use AddDirectory");
        if (!File.Exists(path))
            throw new TinyImageException($"{call}: '{path}' does not exist; check the path");
    }

    private static void NoteIfElf(string path, State state)
    {
        if (ElfReader.IsElf(path)) NoteElf(path, state);
    }

    private static void NoteElf(string path, State state)
    {
        if (!state.ElfFiles.Contains(path)) state.ElfFiles.Add(path);
    }

    private string? FindOnPath(string program)
    {
        foreach (var dir in new[] { "/usr/local/bin", "/usr/bin", "/bin" })
        {
            var candidate = dir + "/" + program;
            if (File.Exists(_host.HostPath(candidate))) return candidate;
        }
        return null;
    }

    private static string ResolveHostLinks(string path) =>
        File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;

    /// <summary>The recipe line of a step for the reasons kept with the image: file name and line, the same from any directory.</summary>
    private static string Where(BuildStep step) =>
        step.Origin is { } origin ? $"{Path.GetFileName(origin.File)}({origin.Line})" : "the command line";

    private sealed class State
    {
        public FileTree Tree { get; } = new();
        public List<string> ElfFiles { get; } = [];

        /// <summary>ELF files copied to another path in the image: where they were read (in the root) to where they are.</summary>
        public Dictionary<string, string> ImagePaths { get; } = new(StringComparer.Ordinal);
        public string? Architecture { get; set; }
        public List<(string Name, int Uid, int Gid)> Users { get; } = [];
    }
}
