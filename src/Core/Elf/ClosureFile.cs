namespace TinyImage.Core.Elf;

/// <summary>One file an executable needs at run time: its ELF interpreter or a shared library.</summary>
/// <param name="Path">The absolute path inside the root that the loader opens, symlinks and all, e.g. /lib64/ld-linux-x86-64.so.2.</param>
/// <param name="NeededName">The DT_NEEDED name (or PT_INTERP path) that asked for it.</param>
/// <param name="Soname">The file's DT_SONAME, if any.</param>
/// <param name="Rule">The search step that found it.</param>
/// <param name="Reason">Why it is needed, for people: "libtinfo.so.6, needed by /usr/bin/bash, found in default path /lib/x86_64-linux-gnu".</param>
public sealed record ClosureFile(string Path, string NeededName, string? Soname, SearchRule Rule, string Reason);
