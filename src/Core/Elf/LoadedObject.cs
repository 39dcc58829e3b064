using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>One object in a simulated process: the executable, its interpreter or a library (glibc's link_map).</summary>
internal sealed class LoadedObject
{
    /// <summary>The path inside the root as the loader opened it (glibc's l_name).</summary>
    public required string Path { get; init; }

    /// <summary>The symlink-free path inside <see cref="Files"/>.</summary>
    public required string RealPath { get; init; }

    /// <summary>The path inside <see cref="Files"/> the file was opened at (equal to <see cref="Path"/> unless found through a relocated $ORIGIN).</summary>
    public string? SourcePath { get; init; }

    /// <summary>The root the file's bytes are read from: the image's root, or the host for a recipe's own file.</summary>
    public required HostFiles Files { get; init; }

    /// <summary>The file's identity: the host path of its bytes.</summary>
    public string Key => Files.HostPath(RealPath);

    public required ElfInfo Info { get; init; }

    /// <summary>The object whose need loaded this one first (glibc's l_loader); null for the executable and interpreter.</summary>
    public LoadedObject? Loader { get; init; }

    /// <summary>The value of $ORIGIN in this object's paths: its directory in the image.</summary>
    public required string Origin { get; init; }

    /// <summary>
    /// The directory of <see cref="Files"/> that <see cref="Origin"/> stands for: where the files next to this one are
    /// read from. Equal to <see cref="Origin"/> unless the recipe put the file somewhere else in the image.
    /// </summary>
    public required string SourceOrigin { get; init; }

    /// <summary>True when the file is not at the same place in the image as in the root it is read from.</summary>
    public bool IsRelocated(HostFiles root) => Files.Root != root.Root || Origin != SourceOrigin;

    public required SearchRule Rule { get; init; }

    /// <summary>The name that first asked for this object.</summary>
    public required string NeededName { get; init; }

    /// <summary>Where the search found it, for reasons: "default path /lib/x86_64-linux-gnu".</summary>
    public required string FoundIn { get; init; }

    /// <summary>Names this object answers to besides its SONAME (glibc's l_libname).</summary>
    public List<string> Names { get; } = [];

    /// <summary>Each DT_NEEDED of this object, in order, with the object it resolved to and whether that request loaded it.</summary>
    public List<(string Name, LoadedObject Target, bool Loaded)> Edges { get; } = [];

    public bool Answers(string name) => Names.Contains(name) || Info.Soname == name;
}
