using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Images;

/// <summary>
/// An image's file system unpacked into a directory, to be a recipe's root (<c>.Root(From.Image(...))</c>): its layers
/// applied in order as an engine does (a later entry replaces an earlier one, whiteouts and opaque directories remove
/// what lower layers hold). The layers were checked by <see cref="BaseLayerCheck"/> (no entry leaves the root or goes
/// through a link), so paths are created as they are named. Devices and FIFOs are left out; modes keep only the
/// permission bits. Unpacked once into the cache, under a key made of the layers' digests, then reused.
/// </summary>
public static class ImageRoot
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";

    /// <summary>The directory holding <paramref name="image"/>'s file system, unpacked under <paramref name="cacheDirectory"/> if needed.</summary>
    public static async Task<string> MaterializeAsync(ResolvedBaseImage image, string cacheDirectory, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', image.Layers.Select(l => l.Digest.ToString())))));
        var root = Path.Combine(cacheDirectory, key);
        if (Directory.Exists(root)) return root;
        Directory.CreateDirectory(cacheDirectory);
        var temp = Path.Combine(cacheDirectory, "." + key + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            Directory.CreateDirectory(temp);
            foreach (var layer in image.Layers)
                await ApplyAsync(layer.BlobPath, temp, cancellationToken).ConfigureAwait(false);
            try
            {
                Directory.Move(temp, root);
            }
            catch (IOException) when (Directory.Exists(root))
            {
                // Another build unpacked the same image meanwhile; theirs is as good.
            }
            return root;
        }
        finally
        {
            if (Directory.Exists(temp)) MakeRemovable(temp);
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static async Task ApplyAsync(string blobPath, string root, CancellationToken cancellationToken)
    {
        var tar = await LayerBlob.OpenTarAsync(blobPath, cancellationToken).ConfigureAwait(false);
        var reader = new TarReader(new BoundedTarStream(tar, BoundedTarStream.DefaultMaxMetadataSize));
        await using (reader.ConfigureAwait(false))
        {
            var added = new HashSet<string>(StringComparer.Ordinal);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                await ApplyEntryAsync(entry, root, added, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ApplyEntryAsync(TarEntry entry, string root, HashSet<string> added, CancellationToken cancellationToken)
    {
        var parts = entry.Name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Length == 0) return;
        var relative = string.Join('/', parts);
        var path = Path.Combine(root, relative);
        var leaf = parts[^1];
        var parent = Path.GetDirectoryName(path)!;
        if (leaf == OpaqueWhiteout)
        {
            // Empties the directory of what lower layers put there; this layer's own entries stay.
            if (Directory.Exists(parent))
                foreach (var child in Directory.EnumerateFileSystemEntries(parent).ToList())
                    if (!added.Contains(Path.GetRelativePath(root, child))) Remove(child);
            return;
        }
        if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            Remove(Path.Combine(parent, leaf[WhiteoutPrefix.Length..]));
            return;
        }
        Directory.CreateDirectory(parent);
        var existing = HostFileStatus.Of(path);
        if (entry.EntryType == TarEntryType.Directory)
        {
            if (existing.Kind != HostFileKind.Directory)
            {
                if (existing.Kind != HostFileKind.Missing) Remove(path);
                Directory.CreateDirectory(path);
            }
            File.SetUnixFileMode(path, (entry.Mode & (UnixFileMode)0x1FF) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            added.Add(relative);
            return;
        }
        if (existing.Kind != HostFileKind.Missing) Remove(path);
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                await using (output.ConfigureAwait(false))
                    if (entry.DataStream is { } data) await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                File.SetUnixFileMode(path, (entry.Mode & (UnixFileMode)0x1FF) | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case TarEntryType.SymbolicLink:
                File.CreateSymbolicLink(path, entry.LinkName);
                break;
            case TarEntryType.HardLink:
                // The same content is all a root needs: it is read, never written.
                File.Copy(Path.Combine(root, entry.LinkName.TrimStart('/')), path);
                break;
            default:
                return; // devices, FIFOs: nothing a program's files need
        }
        added.Add(relative);
    }

    private static void Remove(string path)
    {
        var status = HostFileStatus.Of(path);
        if (status.Kind == HostFileKind.Missing) return;
        if (status.Kind == HostFileKind.Directory)
        {
            MakeRemovable(path);
            Directory.Delete(path, recursive: true);
        }
        else File.Delete(path);
    }

    /// <summary>Gives the owner write and search permission on every directory below <paramref name="directory"/>, so it can be deleted.</summary>
    private static void MakeRemovable(string directory)
    {
        File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var child in new DirectoryInfo(directory).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            child.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }
}
