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

    /// <summary>The bytes of the document at <paramref name="path"/>, called <paramref name="name"/> in errors.</summary>
    /// <exception cref="TinyImageException">It is not a regular file, is larger than <paramref name="limit"/>, or cannot be read.</exception>
    public static async Task<byte[]> ReadDocumentAsync(string path, string name, int limit, CancellationToken cancellationToken)
    {
        if (!IsRegularFile(path))
            throw new TinyImageException($"{name} is not a regular file; an image document must be one");
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            await using (file.ConfigureAwait(false))
                return await ReadBoundedAsync(file, name, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot read {name}: {ArchiveText.Printable(e.Message)}", e);
        }
    }

    /// <summary>Everything <paramref name="stream"/> holds, refused (<see cref="TinyImageException"/>) as soon as it exceeds <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream stream, string name, int limit, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
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
