namespace TinyImage.Core.FileSystem;

/// <summary>
/// One path in an image: a directory, a regular file (read from a host file or held inline) or a
/// symbolic link, with its permission bits and its <see cref="Provenance"/>.
/// </summary>
public sealed record FileEntry
{
    private readonly string _path = "";
    private readonly string? _linkTarget;

    /// <summary>Absolute, normalized path in the image, e.g. <c>/usr/bin/bash</c>; never with a NUL (<see cref="ImagePath.RefuseNul"/>).</summary>
    public required string Path
    {
        get => _path;
        init { ImagePath.RefuseNul(value, "a path in the image"); _path = value; }
    }

    public required EntryKind Kind { get; init; }

    /// <summary>Permission bits including setuid/setgid/sticky (07777).</summary>
    public int Mode { get; init; }

    /// <summary>Numeric owner in the image; 0 (root) unless a step gives the entry to a user, as WithUser does for a home directory.</summary>
    public int Uid { get; init; }

    /// <summary>Numeric group in the image; 0 unless a step sets it.</summary>
    public int Gid { get; init; }

    /// <summary>For a file read from the host: where its bytes come from.</summary>
    public string? SourcePath { get; init; }

    /// <summary>For a file whose bytes are given inline (e.g. <c>AddText</c>).</summary>
    public byte[]? Content { get; init; }

    /// <summary>For a symlink: its target, exactly as it is to be stored; never with a NUL.</summary>
    public string? LinkTarget
    {
        get => _linkTarget;
        init { if (value is not null) ImagePath.RefuseNul(value, "the link target"); _linkTarget = value; }
    }

    /// <summary>Why the entry is in the image and where its bytes come from (<see cref="Provenance.Describe"/> says it in words).</summary>
    public Provenance Provenance { get; init; } = Provenance.Note("");

    /// <summary>Size of the file's content in bytes; 0 for directories and symlinks.</summary>
    public long Size => Kind != EntryKind.File ? 0 : Content?.LongLength ?? new FileInfo(SourcePath!).Length;

    public static FileEntry Directory(string path, int mode, Provenance provenance) =>
        new() { Path = path, Kind = EntryKind.Directory, Mode = mode, Provenance = provenance };

    public static FileEntry HostFile(string path, string sourcePath, int mode, Provenance provenance) =>
        new() { Path = path, Kind = EntryKind.File, Mode = mode, SourcePath = sourcePath, Provenance = provenance };

    public static FileEntry Inline(string path, byte[] content, int mode, Provenance provenance) =>
        new() { Path = path, Kind = EntryKind.File, Mode = mode, Content = content, Provenance = provenance };

    public static FileEntry Link(string path, string target, Provenance provenance) =>
        new() { Path = path, Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = target, Provenance = provenance };

    // The same with only words for a provenance: for tests and entries no recipe step makes.
    public static FileEntry Directory(string path, int mode, string note) => Directory(path, mode, Provenance.Note(note));

    public static FileEntry HostFile(string path, string sourcePath, int mode, string note) => HostFile(path, sourcePath, mode, Provenance.Note(note));

    public static FileEntry Inline(string path, byte[] content, int mode, string note) => Inline(path, content, mode, Provenance.Note(note));

    public static FileEntry Link(string path, string target, string note) => Link(path, target, Provenance.Note(note));
}
