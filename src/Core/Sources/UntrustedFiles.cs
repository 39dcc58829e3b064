using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sources;

/// <summary>
/// Reads image metadata from files someone else may have made: only regular files (a FIFO would block the open, a
/// device would never end), and never more than a limit, checked while reading (a file may grow after it is measured).
/// </summary>
internal static class UntrustedFiles
{
    /// <summary>
    /// The most an image document (index.json, manifest.json, a manifest or a config) may hold: 4 MiB, the limit
    /// registries and containerd apply to manifests and indexes.
    /// </summary>
    public const int MaxDocumentSize = 4 << 20;

    /// <summary>Whether <paramref name="path"/> (its links followed) is a regular file.</summary>
    public static bool IsRegularFile(string path)
    {
        try
        {
            return HostFileStatus.Of(path, followLinks: true).IsFile;
        }
        catch (TinyImageException)
        {
            return false;
        }
    }

    /// <summary>Everything <paramref name="stream"/> holds, refused (<see cref="TinyImageException"/>) as soon as it exceeds <paramref name="limit"/> bytes.</summary>
    public static byte[] ReadBounded(Stream stream, string name, int limit)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(name, limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The error for a document over the limit.</summary>
    public static TinyImageException TooLarge(string name, long limit) =>
        new($"{name} is larger than {limit >> 20} MiB, the most an image document may hold; it is damaged or not an image document");
}
