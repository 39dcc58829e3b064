using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Needs;

/// <summary>The files of an image being built, asked as a program in it would: paths are followed through the image's own symlinks.</summary>
public sealed class ImageView(FileTree tree)
{
    private const int MaxLinks = 40;

    public FileTree Tree { get; } = tree;

    /// <summary>The entry <paramref name="path"/> leads to through the image's symlinks, or null when it leads nowhere.</summary>
    public FileEntry? Follow(string path)
    {
        var current = ImagePath.Normalize(path);
        for (var i = 0; i < MaxLinks; i++)
        {
            string resolved;
            try { resolved = Tree.ResolveParents(current); }
            catch (TinyImageException) { return null; }
            if (Tree.Find(resolved) is not { } entry) return null;
            if (entry.Kind != EntryKind.Symlink) return entry;
            var target = entry.LinkTarget!;
            current = ImagePath.Normalize(target.StartsWith('/') ? target : ImagePath.Combine(ImagePath.Parent(resolved) ?? "/", target));
        }
        return null;
    }

    /// <summary>True when <paramref name="path"/> leads to a regular file.</summary>
    public bool IsFile(string path) => Follow(path) is { Kind: EntryKind.File };

    /// <summary>True when a path of the image (a file, link or directory added) matches.</summary>
    public bool AnyPath(Func<string, bool> match) => Tree.Paths.Any(match);

    /// <summary>The file names (last path components) of every file and link in the image.</summary>
    public ISet<string> FileNames() =>
        Tree.Entries().Where(e => e.Kind != EntryKind.Directory).Select(e => e.Path[(e.Path.LastIndexOf('/') + 1)..]).ToHashSet(StringComparer.Ordinal);

    /// <summary>The ELF files of the image (regular files read from a host file that starts with the ELF magic), in path order.</summary>
    public IReadOnlyList<(string ImagePath, string HostPath)> ElfFiles() =>
        [.. Tree.Entries().Where(e => e.Kind == EntryKind.File && e.SourcePath is not null && ElfReader.IsElf(e.SourcePath)).Select(e => (e.Path, e.SourcePath!))];
}
