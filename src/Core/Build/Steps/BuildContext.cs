using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>
/// What the steps of one image share while it is assembled: the roots files are read from, the file tree being
/// built, the ELF files added so far, the accounts, and the resolver. Every read of a root goes through its
/// <see cref="HostFiles"/>, so no step reads a host path when the image has a root of its own.
/// </summary>
/// <param name="hint">Where notes about the build go, a line each (stderr in tinyrun); they never change the image.</param>
internal sealed class BuildContext(ResolverOptions options, ProgramTracer tracer, Action<string> hint)
{
    private readonly HashSet<string> _noted = new(StringComparer.Ordinal);

    /// <summary>The image's root: the host's "/" or a sysroot. Absolute paths of steps are paths inside it.</summary>
    public HostFiles Root { get; } = options.Files;

    /// <summary>The host, for the recipe's own files (paths the recipe gave relative to itself).</summary>
    public HostFiles RecipeFiles { get; } = new("/");

    public LibraryResolver Resolver { get; } = new(options);

    public LibraryLocator Locator { get; } = new(options);

    public ProgramTracer Tracer { get; } = tracer;

    public FileTree Tree { get; } = new();

    /// <summary>The ELF files added so far, in order, with their headers: what WithLibs resolves.</summary>
    public List<(ElfInput Input, ElfInfo Info)> ElfFiles { get; } = [];

    /// <summary>The platform the image is for; null: any (the first program's).</summary>
    public Platform? Platform { get; init; }

    /// <summary>The OCI architecture of the first ELF file added, if any.</summary>
    public string? Architecture { get; set; }

    /// <summary>
    /// The image's run-time settings: the recipe's, which a step may complete where the recipe left them unset (e.g.
    /// AddDotnetApp's entrypoint, which depends on the files it finds).
    /// </summary>
    public ImageConfig Config { get; set; } = new();

    /// <summary>The accounts WithUser added, in order.</summary>
    public List<(string Name, int Uid, int Gid)> Users { get; } = [];

    /// <summary>The entries steps gave an owner to, with the step: owners are resolved once every step has run (<see cref="ApplyOwners"/>).</summary>
    private readonly List<(FileEntry Entry, FileOwner Owner, BuildStep Step, string Call)> _owned = [];

    /// <summary>
    /// Notes that <paramref name="entries"/>, which <paramref name="step"/> added at <paramref name="path"/>, belong to
    /// <paramref name="owner"/> (nothing when it is null): resolved against the image's account files at the end.
    /// </summary>
    public void Own(IEnumerable<FileEntry> entries, FileOwner? owner, BuildStep step, string path)
    {
        if (owner is null) return;
        var call = $"{StepName(step)}(\"{path}\", owner: \"{owner}\")";
        foreach (var entry in entries) _owned.Add((entry, owner, step, call));
    }

    /// <summary>
    /// Gives the entries <see cref="Own"/> noted their owners, names looked up in the /etc/passwd and /etc/group the image
    /// holds once every step has run (whichever step wrote them). An entry a later step replaced keeps the later one's owner.
    /// </summary>
    /// <exception cref="TinyImageException">An owner's name the image has no entry for, at the step's recipe line.</exception>
    public void ApplyOwners()
    {
        var image = new Needs.ImageView(Tree);
        var resolved = new Dictionary<FileOwner, (int Uid, int Gid)>();
        // Last step first: an entry two steps gave owners to (the same directory made twice) is the later one's.
        foreach (var (entry, owner, step, call) in Enumerable.Reverse(_owned))
        {
            if (!ReferenceEquals(Tree.Find(entry.Path), entry)) continue;
            if (!resolved.TryGetValue(owner, out var ids))
            {
                try { resolved[owner] = ids = Build.AccountFiles.Resolve(owner, image); }
                catch (TinyImageException e) { throw new TinyImageException(SourceLocation.Prefix(step.Origin, $"{call}: {e.Message}"), e); }
            }
            Tree.Add(entry with { Uid = ids.Uid, Gid = ids.Gid });
        }
        _owned.Clear();
    }

    /// <summary>Sends <paramref name="message"/> to the build's notes, unless one about <paramref name="subject"/> (e.g. a path) was sent already.</summary>
    public void NoteOnce(string subject, string message)
    {
        if (_noted.Add(subject)) hint(message);
    }

    /// <summary>The files a step's source is read from: the image's root, or the host for the recipe's own files.</summary>
    public HostFiles FilesOf(SourceTree tree) => tree == SourceTree.Recipe ? RecipeFiles : Root;

    /// <summary>The headers of the first ELF file added: runtime steps choose modules for its machine.</summary>
    public ElfInfo? FirstElf => ElfFiles.Count == 0 ? null : ElfFiles[0].Info;

    /// <summary>Notes an ELF file for later WithLibs steps (once per file and place).</summary>
    /// <param name="info">Its headers when the caller has read them already; null reads them.</param>
    public void NoteElf(ElfInput input, ElfInfo? info = null)
    {
        if (ElfFiles.Any(e => e.Input.ImagePath == input.ImagePath && e.Input.Files.HostPath(e.Input.SourcePath) == input.Files.HostPath(input.SourcePath)))
            return;
        if (info is null)
        {
            var real = input.Files.Resolve(input.SourcePath)?.RealPath ?? input.SourcePath;
            info = ElfReader.Read(input.Files.HostPath(real));
        }
        ElfFiles.Add((input, info));
    }

    /// <summary>
    /// Adds the loader and library closure of <paramref name="executables"/>. A library that only ld.so.conf finds (the
    /// image has no /etc/ld.so.cache) also gets a link on a default path.
    /// </summary>
    /// <param name="step">The step that asked: kept with each file, under the chain that needed it.</param>
    public void AddClosure(IEnumerable<ElfInput> executables, Provenance step)
    {
        foreach (var file in Resolver.Resolve(executables).Files)
        {
            var needed = step with { Detail = null, FromRecipe = false, Need = new ElfNeed(file.NeededName, file.NeededBy, file.Rule, file.FoundIn) };
            if (file.SourceHostPath is { } source)
                // Found through the $ORIGIN of a file placed elsewhere in the image: read beside its source, put where the loader looks.
                Tree.Add(FileEntry.HostFile(file.Path, source, HostFiles.NormalisedMode(HostFileStatus.Of(source)), needed));
            else
                Root.AddFile(Tree, file.Path, needed);
            foreach (var extra in file.ExtraPaths)
                Tree.Add(FileEntry.Link(extra, file.Path, needed.Because($"{file.NeededName} on a default path: an image has no /etc/ld.so.cache")));
        }
    }

    /// <summary>Adds ELF files (paths inside the root) with the symlinks on their paths, then their library closure.</summary>
    public void AddElfFiles(IReadOnlyCollection<string> paths, Provenance reason)
    {
        if (paths.Count == 0) return;
        var inputs = new List<ElfInput>();
        foreach (var path in paths)
        {
            Root.AddFile(Tree, path, reason);
            var input = ElfInput.InPlace(Root, path);
            NoteElf(input);
            inputs.Add(input);
        }
        AddClosure(inputs, reason);
    }

    /// <summary>
    /// Adds a directory of the root at its real path, with the symlinks on the way to it (e.g. /lib -> usr/lib); returns
    /// the ELF files in it, noted for WithLibs.
    /// </summary>
    /// <param name="filter">Which paths to copy; null: all.</param>
    public IReadOnlyList<ElfInput> AddRootDirectory(string path, Provenance reason, PathFilter? filter = null)
    {
        var (real, links) = Root.Resolve(path) ?? throw new TinyImageException($"{path}: no such directory in {Root.Describe()}");
        foreach (var (link, target) in links)
            Tree.Add(FileEntry.Link(link, target, reason.Because($"symlink on the path to {path}")));
        var elfFiles = new List<ElfInput>();
        foreach (var (imagePath, _) in Root.AddDirectory(Tree, real, real, reason, normaliseModes: false, filter))
        {
            if (!ElfReader.IsElf(Root.HostPath(imagePath))) continue;
            elfFiles.Add(ElfInput.InPlace(Root, imagePath));
            NoteElf(elfFiles[^1]);
        }
        return elfFiles;
    }

    /// <summary>Adds the symlinks met on the way to <paramref name="path"/> when it exists and is reached through one (e.g. /usr/lib/ssl/certs -> /etc/ssl/certs).</summary>
    public void AddLinksOnTheWay(string path, Provenance reason)
    {
        if (Root.Resolve(path) is not { } resolved) return;
        foreach (var (link, target) in resolved.Links)
            Tree.Add(FileEntry.Link(link, target, reason.Because($"symlink on the path to {path}")));
    }

    /// <summary>True when <paramref name="path"/> is a regular file in the root (through its symlinks).</summary>
    public bool IsRootFile(string path) => Root.Resolve(path) is { } r && Root.Status(r.RealPath).IsFile;

    /// <summary>The real path (inside the root) of the directory <paramref name="path"/>, or null when it is not one.</summary>
    public string? RealDirectory(string path) =>
        Root.Resolve(path) is { } r && Root.Status(r.RealPath).IsDirectory ? r.RealPath : null;

    /// <summary>What <paramref name="step"/> adds, as the recipe call <paramref name="call"/> (the step's name unless given).</summary>
    public static Provenance From(BuildStep step, string? call = null) =>
        Provenance.Of(call ?? StepName(step), step.Origin) with { FromRecipe = step is AddBinaryStep { Tree: SourceTree.Recipe } or AddFileStep { Tree: SourceTree.Recipe } or AddDirectoryStep { Tree: SourceTree.Recipe } };

    private static string StepName(BuildStep step) => step.GetType().Name is var name && name.EndsWith("Step", StringComparison.Ordinal) ? name[..^4] : step.GetType().Name;
}
