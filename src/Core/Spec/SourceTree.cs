namespace TinyImage.Core.Spec;

/// <summary>Which tree a step's source path is in, and so how it is read.</summary>
public enum SourceTree
{
    /// <summary>
    /// An absolute path inside the image's root (<see cref="ImageSpec.Root"/>, the host's "/" when none): symlinks on
    /// it are resolved inside that root, and files keep the modes they have there.
    /// </summary>
    Root,

    /// <summary>
    /// The recipe's own files (a path the recipe gave relative to its directory), as an absolute host path: modes are
    /// normalised (0755 when the owner may execute, else 0644; directories 0755), so a checkout gives the same image
    /// under any umask.
    /// </summary>
    Recipe,
}
