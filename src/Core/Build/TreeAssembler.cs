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

    private readonly HostFiles _root;
    private readonly HostFiles _recipeFiles = new("/");
    private readonly LibraryResolver _resolver;
    private readonly LibraryLocator _locator;
    private readonly ProgramTracer _tracer;

    public TreeAssembler(ResolverOptions options, ProgramTracer? tracer = null)
    {
        _root = options.Files;
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
                AddExecutable(FilesOf(s.Tree), s.Source, s.Destination, $"AddBinary at {Where(s)}", state, depth: 0);
                break;
            case AddFileStep s:
                AddFile(s, state);
                break;
            case AddDirectoryStep s:
                var files = FilesOf(s.Tree);
                var copied = files.AddDirectory(state.Tree, s.Source, s.Destination, $"AddDirectory at {Where(s)}", normaliseModes: s.Tree == SourceTree.Recipe);
                foreach (var (imagePath, hostPath) in copied)
                    if (ElfReader.IsElf(hostPath)) NoteElf(new ElfInput(imagePath, _recipeFiles, hostPath), state);
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
                AddClosure(state.ElfFiles.Select(e => e.Input), state);
                break;
            default:
                if (ApplyRuntimeStep(step, state)) break;
                throw new InvalidOperationException($"unknown build step {step.GetType().Name}");
        }
    }

    /// <summary>The files a step's source is read from: the image's root, or the host for the recipe's own files.</summary>
    private HostFiles FilesOf(SourceTree tree) => tree == SourceTree.Recipe ? _recipeFiles : _root;

    /// <summary>Resolves a step's source inside its tree (symlinks followed inside it, never out) to its real path.</summary>
    private static string RealSource(HostFiles files, string source, string call)
    {
        var real = files.Resolve(source)?.RealPath
            ?? throw new TinyImageException($"{call}: '{Shown(files, source)}' does not exist; check the path");
        var status = files.Status(real);
        if (status.IsDirectory)
            throw new TinyImageException($"{call}: '{Shown(files, source)}' is a directory; use AddDirectory");
        if (!status.IsFile)
            throw new TinyImageException($"{call}: '{Shown(files, source)}' is {status.Describe()}; only regular files, directories and symlinks go into an image");
        return real;
    }

    /// <summary>A source path for messages: inside a sysroot, with the root it is in.</summary>
    private static string Shown(HostFiles files, string path) => files.Root == "/" ? path : $"{path}' in root '{files.Root}";

    private void AddFile(AddFileStep step, State state)
    {
        var files = FilesOf(step.Tree);
        var real = RealSource(files, step.Source, "AddFile");
        var status = files.Status(real);
        var mode = step.Mode ?? (step.Tree == SourceTree.Recipe ? HostFiles.NormalisedMode(status) : status.Mode);
        var entry = state.Tree.Add(FileEntry.HostFile(step.Destination, files.HostPath(real), mode, $"AddFile at {Where(step)}"));
        if (ElfReader.IsElf(files.HostPath(real))) NoteElf(new ElfInput(entry.Path, files, real), state);
    }

    private void AddExecutable(HostFiles files, string source, string destination, string reason, State state, int depth)
    {
        var real = RealSource(files, source, "AddBinary");
        var bytes = files.HostPath(real);
        if (ElfReader.IsElf(bytes))
        {
            var info = ElfReader.Read(bytes);
            state.Architecture ??= info.OciArchitecture;
            var inImage = CopyExecutable(files, source, real, destination, reason, state);
            NoteElf(inImage == source && files == _root ? ElfInput.InPlace(files, source) : new ElfInput(inImage, files, real), state);
            return;
        }
        var shebang = ShebangReader.ReadInterpreter(bytes)
            ?? throw new TinyImageException($"{Shown(files, source)}: not an ELF executable or a #! script; add data files with AddFile");
        if (depth >= MaxInterpreterDepth)
            throw new TinyImageException($"{Shown(files, source)}: #! interpreters nest more than {MaxInterpreterDepth} levels deep");
        CopyExecutable(files, source, real, destination, reason, state);
        var interpreter = shebang.Interpreter;
        var interpreterReason = $"#! interpreter of {destination}";
        AddExecutable(_root, interpreter, interpreter, interpreterReason, state, depth + 1);
        if (Path.GetFileName(interpreter) == "env" && shebang.Argument is { Length: > 0 } program && !program.StartsWith('-'))
        {
            var found = FindOnPath(program)
                ?? throw new TinyImageException($"{Shown(files, source)}: '#!{interpreter} {program}': {program} is not in /usr/local/bin, /usr/bin or /bin; add it with AddBinary");
            AddExecutable(_root, found, found, $"{program}, run by {interpreter} for {destination}", state, depth + 1);
        }
    }

    /// <summary>
    /// Copies an executable (real path <paramref name="real"/> in <paramref name="files"/>) to <paramref name="destination"/>;
    /// at its own path in the root it keeps the links on the way (/bin -> usr/bin). Returns its path in the image.
    /// </summary>
    private string CopyExecutable(HostFiles files, string source, string real, string destination, string reason, State state)
    {
        if (files == _root && source == destination)
        {
            files.AddFile(state.Tree, destination, reason); // keep /bin -> usr/bin and other links on the way
            return source;
        }
        var status = files.Status(real);
        var mode = files == _recipeFiles ? HostFiles.NormalisedMode(status) : status.Mode;
        return state.Tree.Add(FileEntry.HostFile(destination, files.HostPath(real), mode, reason)).Path;
    }

    /// <summary>
    /// Adds the loader and library closure of <paramref name="executables"/>. A library that only
    /// ld.so.conf finds (the image has no /etc/ld.so.cache) also gets a link on a default path.
    /// </summary>
    private void AddClosure(IEnumerable<ElfInput> executables, State state)
    {
        foreach (var file in _resolver.Resolve(executables).Files)
        {
            if (file.SourceHostPath is { } source)
                // Found through the $ORIGIN of a file placed elsewhere in the image: read beside its source, put where the loader looks.
                state.Tree.Add(FileEntry.HostFile(file.Path, source, HostFiles.NormalisedMode(HostFileStatus.Of(source)), file.Reason));
            else
                _root.AddFile(state.Tree, file.Path, file.Reason);
            foreach (var extra in file.ExtraPaths)
                state.Tree.Add(FileEntry.Link(extra, file.Path, $"{file.NeededName} on a default path: an image has no /etc/ld.so.cache; {file.Reason}"));
        }
    }

    private static void NoteElf(ElfInput input, State state)
    {
        if (state.ElfFiles.Any(e => e.Input.ImagePath == input.ImagePath && e.Input.Files.HostPath(e.Input.SourcePath) == input.Files.HostPath(input.SourcePath)))
            return;
        var real = input.Files.Resolve(input.SourcePath)?.RealPath ?? input.SourcePath;
        state.ElfFiles.Add((input, ElfReader.Read(input.Files.HostPath(real))));
    }

    private string? FindOnPath(string program)
    {
        foreach (var dir in new[] { "/usr/local/bin", "/usr/bin", "/bin" })
        {
            var candidate = dir + "/" + program;
            if (_root.Resolve(candidate) is { } r && _root.Status(r.RealPath).IsFile) return candidate;
        }
        return null;
    }

    /// <summary>The recipe line of a step for the reasons kept with the image: file name and line, the same from any directory.</summary>
    private static string Where(BuildStep step) =>
        step.Origin is { } origin ? $"{Path.GetFileName(origin.File)}({origin.Line})" : "the command line";

    private sealed class State
    {
        public FileTree Tree { get; } = new();
        /// <summary>The ELF files added so far, in order, with their headers: what WithLibs resolves.</summary>
        public List<(ElfInput Input, ElfInfo Info)> ElfFiles { get; } = [];
        public string? Architecture { get; set; }
        public List<(string Name, int Uid, int Gid)> Users { get; } = [];
    }
}
