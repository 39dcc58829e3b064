using TinyImage.Core.Oci;

namespace TinyImage.Core.Registry;

/// <summary>
/// A blob to push: its descriptor and a way to open its bytes. <see cref="Open"/> may be called more than once (a
/// retried or resumed upload opens it again and skips to where the registry stopped); a seekable stream is sought.
/// </summary>
public sealed record RegistryBlob(Descriptor Descriptor, Func<CancellationToken, Task<Stream>> Open)
{
    /// <summary>A blob read from a file.</summary>
    public static RegistryBlob FromFile(Descriptor descriptor, string path) =>
        new(descriptor, _ => Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan)));

    /// <summary>A blob held in memory (a config, a small layer).</summary>
    public static RegistryBlob FromBytes(string mediaType, ReadOnlyMemory<byte> bytes) =>
        new(new Descriptor(mediaType, Digest.Compute(bytes.Span), bytes.Length), _ => Task.FromResult<Stream>(new MemoryStream(bytes.ToArray(), writable: false)));
}
