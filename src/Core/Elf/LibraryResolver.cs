using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>
/// Finds the ELF interpreter and shared-library closure of executables inside a root file system,
/// by reading ELF files (never running them) and following glibc's ld.so search rules: DT_RPATH up
/// the loader chain (unless the requester has DT_RUNPATH), <see cref="ResolverOptions.LibraryPath"/>,
/// the requester's DT_RUNPATH, ld.so.conf directories (standing in for ld.so.cache) and the default
/// directories, with $ORIGIN/$LIB/$PLATFORM expansion, open_verify's skip-or-fail checks,
/// breadth-first loading and first-loaded-wins deduplication.
/// </summary>
public sealed class LibraryResolver
{
    public LibraryResolver(ResolverOptions? options = null)
    {
        Options = options ?? new ResolverOptions();
    }

    public ResolverOptions Options { get; }

    /// <summary>
    /// Resolves the closure of <paramref name="executables"/> (absolute paths inside the root). Each
    /// executable is a process of its own; the files are the union, in load order. Throws
    /// <see cref="TinyImageException"/> when a library cannot be found or ld.so would refuse a file.
    /// </summary>
    public Closure Resolve(IEnumerable<string> executables) =>
        Resolve(executables.Select(e => ElfInput.InPlace(Options.Files, e)));

    /// <summary>
    /// <see cref="Resolve(IEnumerable{string})"/> for files that may be read from elsewhere than their place in the
    /// image (<see cref="ElfInput"/>): <c>$ORIGIN</c> is their directory in the image.
    /// </summary>
    public Closure Resolve(IEnumerable<ElfInput> executables)
    {
        var run = new ResolutionRun(Options);
        var files = new List<ClosureFile>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var roots = new List<DependencyNode>();
        foreach (var executable in executables)
        {
            var (root, needed) = new ProcessLoader(run, executable).Load();
            roots.Add(root);
            foreach (var file in needed)
                if (paths.Add(file.Path)) files.Add(file);
        }
        return new Closure { Files = files, Roots = roots, Warnings = run.Warnings.Distinct(StringComparer.Ordinal).ToList() };
    }
}
