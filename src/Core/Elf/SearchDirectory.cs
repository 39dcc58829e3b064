using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>One directory of a library search, with the step that contributed it ("RUNPATH of /app/bin/x").</summary>
/// <param name="Path">The directory in the image, as the loader will search it.</param>
internal sealed record SearchDirectory(string Path, SearchRule Rule, string Source)
{
    /// <summary>
    /// Where the directory's files are read from when that is not <see cref="Path"/> in the root: an $ORIGIN
    /// directory of a file the recipe put elsewhere in the image. Null: <see cref="Path"/> in the root.
    /// </summary>
    public (HostFiles Files, string Path)? ReadFrom { get; init; }
}
