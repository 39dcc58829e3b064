using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Elf;

/// <summary>Writes the entries of a <see cref="FileTree"/> under a host directory: directories, files (copied or inline) and symlinks, with their modes.</summary>
public static class FileTreeWriter
{
    public static void Write(FileTree tree, string directory)
    {
        foreach (var entry in tree.Entries())
        {
            var host = directory.TrimEnd('/') + entry.Path;
            switch (entry.Kind)
            {
                case EntryKind.Directory:
                    Directory.CreateDirectory(host);
                    File.SetUnixFileMode(host, (UnixFileMode)entry.Mode);
                    break;
                case EntryKind.File:
                    Directory.CreateDirectory(Path.GetDirectoryName(host)!);
                    if (entry.Content is { } content) File.WriteAllBytes(host, content);
                    else File.Copy(entry.SourcePath!, host, overwrite: true);
                    File.SetUnixFileMode(host, (UnixFileMode)entry.Mode);
                    break;
                case EntryKind.Symlink:
                    Directory.CreateDirectory(Path.GetDirectoryName(host)!);
                    File.CreateSymbolicLink(host, entry.LinkTarget!);
                    break;
            }
        }
    }
}
