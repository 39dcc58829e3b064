namespace TinyImage.Core.Elf;

/// <summary>One file an executable needs at run time: its ELF interpreter or a shared library.</summary>
/// <param name="Path">The absolute path inside the root that the loader opens, symlinks and all, e.g. /lib64/ld-linux-x86-64.so.2.</param>
/// <param name="NeededName">The DT_NEEDED name (or PT_INTERP path) that asked for it.</param>
/// <param name="Soname">The file's DT_SONAME, if any.</param>
/// <param name="Rule">The search step that found it.</param>
/// <param name="Reason">Why it is needed, for people: "libtinfo.so.6, needed by /usr/bin/bash, found in default path /lib/x86_64-linux-gnu".</param>
public sealed record ClosureFile(string Path, string NeededName, string? Soname, SearchRule Rule, string Reason)
{
    /// <summary>
    /// Other paths in the image where this file must also be reachable (as a symlink to
    /// <see cref="Path"/> or a copy) for the loader to find it there. A library found only through an
    /// ld.so.conf directory (<see cref="SearchRule.LdSoConf"/>) gets its DT_NEEDED name in a default
    /// directory, e.g. /usr/lib/x86_64-linux-gnu/libfoo.so.1: ld.so reads only /etc/ld.so.cache, which
    /// an image does not have, and always searches the default directories. Empty otherwise.
    /// </summary>
    public IReadOnlyList<string> ExtraPaths { get; init; } = [];

    /// <summary>
    /// The host path of the file's bytes when it is not read from <see cref="Path"/> in the root: a library found
    /// through the $ORIGIN of a file the recipe put elsewhere in the image (read next to that file's source, placed
    /// where the loader looks from the image path). Null: the file is at <see cref="Path"/> in the root.
    /// </summary>
    public string? SourceHostPath { get; init; }

    /// <summary>The path of the object that asked for it (the executable, for its interpreter), as the loader saw it.</summary>
    public string NeededBy { get; init; } = "";

    /// <summary>The search step that found it, in words: <c>default path /lib/x86_64-linux-gnu</c>; empty for an interpreter.</summary>
    public string FoundIn { get; init; } = "";
}
