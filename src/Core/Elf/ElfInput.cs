using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>
/// An ELF file whose library closure is resolved: where the loader will find it in the image, and where its bytes
/// are read. The two differ when a recipe puts a file somewhere else (<c>AddBinary("build/m")</c> puts the recipe's
/// <c>build/m</c> at <c>/m</c>): <c>$ORIGIN</c> then means the image directory, and a library found through it is read
/// from the same place relative to the file's source and put where the loader will look from the image path.
/// </summary>
/// <param name="ImagePath">The absolute path of the file in the image.</param>
/// <param name="Files">The root its bytes are read from: the image's root, or the host for the recipe's own files.</param>
/// <param name="SourcePath">Its path inside <paramref name="Files"/>.</param>
public sealed record ElfInput(string ImagePath, HostFiles Files, string SourcePath)
{
    /// <summary>A file at the same path in the image as in <paramref name="files"/>.</summary>
    public static ElfInput InPlace(HostFiles files, string path) => new(path, files, path);
}
