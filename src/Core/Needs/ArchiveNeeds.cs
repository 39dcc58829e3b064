using System.Formats.Tar;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Needs;

/// <summary>
/// The runtime needs of the ELF files of an image read from an archive (what <c>tinyrun inspect</c> shows), each met or
/// not by the image's files, as <c>deps --needs</c> and a build judge them. The ELF files (and gconv configuration) the
/// layers leave in the image are copied, at their paths, into a temporary directory that stands for the image's root,
/// with the image's links to them; nothing else is written, and never more than <see cref="MaxCopiedBytes"/>.
/// </summary>
public static class ArchiveNeeds
{
    /// <summary>The most bytes of ELF files copied out of an archive to read them; the rest are counted, not read.</summary>
    public const long MaxCopiedBytes = 1L << 30;

    private const string GconvConfiguration = "gconv-modules";

    /// <summary>
    /// What <see cref="Read"/> found: each need once with whether the image meets it, and how many ELF files were not read
    /// (past the bytes it copies, or at a path the host cannot hold).
    /// </summary>
    public sealed record Result(IReadOnlyList<(RuntimeNeed Need, bool Met)> Needs, int NotRead);

    /// <summary>The needs of the files of <paramref name="image"/> that <paramref name="files"/> (its merged layers) keep.</summary>
    /// <param name="maxCopiedBytes">The most bytes of ELF files copied to be read (<see cref="MaxCopiedBytes"/> unless given).</param>
    /// <exception cref="TinyImageException">A layer is damaged.</exception>
    public static Result Read(ArchiveImage image, IEnumerable<(LayerEntry Entry, int Layer)> files, long maxCopiedBytes = MaxCopiedBytes)
    {
        var tree = new FileTree();
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (entry, layer) in files)
        {
            var added = entry.IsDirectory ? FileEntry.Directory(entry.Path, 0x1ED, "")
                : entry.LinkTarget is { } target ? FileEntry.Link(entry.Path, target, "")
                : FileEntry.Inline(entry.Path, [], 0x1A4, "");
            try { tree.Add(added); }
            catch (TinyImageException) { continue; } // a path the image cannot hold as it is (under a file): no program finds it either
            if (!entry.IsDirectory && entry.LinkTarget is null) wanted[entry.Path] = layer;
        }

        var root = Directory.CreateTempSubdirectory("tinyimage-needs-");
        try
        {
            var notRead = 0;
            long copied = 0;
            var layers = wanted.Values.ToHashSet();
            for (var i = 0; i < image.Layers.Count; i++)
                if (layers.Contains(i + 1))
                    Copy(image, image.Layers[i], i + 1, wanted, root.FullName, maxCopiedBytes, ref copied, ref notRead);
            foreach (var entry in tree.Entries().Where(e => e.Kind == EntryKind.File && File.Exists(root.FullName + e.Path)))
                tree.Add(FileEntry.HostFile(entry.Path, root.FullName + entry.Path, entry.Mode, ""));
            var view = new ImageView(tree);
            LinkToCopies(tree, view, root.FullName);
            var needs = RuntimeNeeds.Distinct(new RuntimeNeedScanner(new ResolverOptions { Files = new HostFiles(root.FullName) }).Scan(view.ElfFiles()));
            return new Result([.. needs.Select(n => (n, RuntimeNeedTable.Rule(n.Kind).IsMet(view, n.Detail)))], notRead);
        }
        finally
        {
            try { root.Delete(recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Copies the ELF files and gconv configuration that layer <paramref name="number"/> leaves in the image to their paths under <paramref name="root"/>.</summary>
    private static void Copy(ArchiveImage image, ArchiveLayer layer, int number, Dictionary<string, int> wanted, string root, long maxCopiedBytes,
        ref long copied, ref int notRead)
    {
        try
        {
            using var reader = new TarReader(new BoundedTarStream(layer.OpenUncompressed(), BoundedTarStream.DefaultMaxMetadataSize));
            var magic = new byte[4];
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile) || entry.DataStream is not { } data)
                    continue;
                var path = ArchiveImage.PathOf(entry.Name);
                if (!wanted.TryGetValue(path, out var winner) || winner != number) continue;
                var isGconv = path.Contains("/gconv/" + GconvConfiguration, StringComparison.Ordinal);
                var read = data.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
                if (!isGconv && (read < magic.Length || !ElfReader.HasMagic(magic))) continue;
                if (copied + entry.Length > maxCopiedBytes)
                {
                    notRead++;
                    continue;
                }
                copied += entry.Length;
                var host = root + path;
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(host)!);
                    using var output = new FileStream(host, FileMode.Create, FileAccess.Write, FileShare.None);
                    output.Write(magic, 0, read);
                    data.CopyTo(output);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    notRead++; // a path under a file copied earlier (the image cannot hold both), or longer than the host allows
                }
            }
        }
        catch (Exception e) when (ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"layer {ArchiveText.Printable(layer.Name)} is damaged ({ArchiveText.Printable(e.Message)})", e);
        }
    }

    /// <summary>
    /// Makes the image's links to copied files (libz.so.1 -> libz.so.1.2.13) links under <paramref name="root"/>, relative and
    /// to files only, in directories that exist: what finds a library by its name finds the copy. No directory is made.
    /// </summary>
    private static void LinkToCopies(FileTree tree, ImageView view, string root)
    {
        foreach (var link in tree.Entries().Where(e => e.Kind == EntryKind.Symlink))
        {
            if (view.Follow(link.Path) is not { Kind: EntryKind.File, SourcePath: not null } file) continue;
            var host = root + link.Path;
            var directory = Path.GetDirectoryName(host)!;
            if (!Directory.Exists(directory) || new DirectoryInfo(directory).LinkTarget is not null || File.Exists(host) || Directory.Exists(host)) continue;
            try { File.CreateSymbolicLink(host, Path.GetRelativePath(directory, root + file.Path)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
