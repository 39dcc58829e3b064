namespace TinyImage.Core.FileSystem;

/// <summary>What a host path is, as <c>lstat</c> tells it (a symlink is never followed).</summary>
public enum HostFileKind
{
    Missing,
    File,
    Directory,
    Symlink,

    /// <summary>A FIFO, socket or device: never opened, never copied.</summary>
    Special,
}
