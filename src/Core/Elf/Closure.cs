namespace TinyImage.Core.Elf;

/// <summary>The run-time files of a set of executables, and how each was found.</summary>
public sealed record Closure
{
    /// <summary>Interpreters and libraries, without the executables themselves: unique by path, in load order.</summary>
    public required IReadOnlyList<ClosureFile> Files { get; init; }

    /// <summary>One dependency tree per executable, in the order given.</summary>
    public required IReadOnlyList<DependencyNode> Roots { get; init; }

    /// <summary>Things the loader would do differently elsewhere, e.g. an RPATH element relative to the current directory that was skipped.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// True when a library was found only through ld.so.conf. ld.so reads only /etc/ld.so.cache, so
    /// the image needs that cache, or the library also at its <see cref="ClosureFile.ExtraPaths"/> (on a
    /// default path), for it to load.
    /// </summary>
    public bool NeedsLdSoCache => Files.Any(f => f.Rule == SearchRule.LdSoConf);
}
