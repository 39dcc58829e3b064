using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Corpus;

namespace TinyImage.Tests.Elf;

/// <summary>
/// The file tree an image gets for some executables and their closure, written to a temporary
/// directory, where the real loader is run under chroot: the test that the image works, not only
/// that our resolver agrees with itself.
/// </summary>
public sealed class ChrootImage : IDisposable
{
    private ChrootImage(string directory, FileTree tree)
    {
        Directory = directory;
        Tree = tree;
    }

    /// <summary>The host directory holding the image's files.</summary>
    public string Directory { get; }

    public FileTree Tree { get; }

    /// <summary>
    /// Adds each executable and each closure file with <see cref="HostFiles.AddFile"/> (keeping the
    /// symlinks on their paths) and, when <paramref name="placeExtraPaths"/>, a symlink to the file at
    /// each of its <see cref="ClosureFile.ExtraPaths"/>, as the image builder does.
    /// </summary>
    public static ChrootImage Of(IEnumerable<string> executables, Closure closure, bool placeExtraPaths = true, HostFiles? files = null)
    {
        files ??= new HostFiles("/");
        var tree = new FileTree();
        foreach (var executable in executables) files.AddFile(tree, executable, Provenance.Note("executable"));
        foreach (var file in closure.Files)
        {
            files.AddFile(tree, file.Path, Provenance.Note(file.Reason));
            if (placeExtraPaths)
                foreach (var extra in file.ExtraPaths)
                    tree.Add(FileEntry.Link(extra, file.Path, $"{file.NeededName} on a default path"));
        }
        var directory = System.IO.Directory.CreateTempSubdirectory("tinyimage-chroot-").FullName;
        var image = new ChrootImage(directory, tree);
        try
        {
            FileTreeWriter.Write(tree, directory);
        }
        catch
        {
            image.Dispose();
            throw;
        }
        return image;
    }

    /// <summary><c>chroot DIR INTERP --list EXE</c>: what the loader loads inside the image.</summary>
    public LoaderOracle List(string executable, string interpreter = LoaderOracle.DefaultInterpreter) =>
        LoaderOracle.List(executable, interpreter, Directory);

    /// <summary>Runs the program inside the image.</summary>
    public (int ExitCode, string StdOut, string StdErr) Run(string executable, params string[] args) =>
        LoaderOracle.Run(executable, args, Directory);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
