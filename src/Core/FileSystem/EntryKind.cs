namespace TinyImage.Core.FileSystem;

/// <summary>What a <see cref="FileEntry"/> is in the image.</summary>
public enum EntryKind
{
    Directory,
    File,
    Symlink,
}
