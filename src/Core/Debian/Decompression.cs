using System.IO.Compression;
using SharpCompress.Compressors.Xz;

namespace TinyImage.Core.Debian;

/// <summary>Opens the compressed members Debian uses, by name suffix: <c>.xz</c> (SharpCompress), <c>.gz</c> (the runtime's zlib), <c>.zst</c> (ZstdNet's libzstd), or none.</summary>
internal static class Decompression
{
    /// <summary>The suffixes understood, in the order an index variant is preferred (gzip decodes fastest here).</summary>
    public static readonly string[] Suffixes = [".gz", ".xz", ".zst", ""];

    /// <summary>Open returns a stream of the decompressed bytes of <paramref name="input"/> (which it owns), or null for an unknown suffix.</summary>
    public static Stream? Open(Stream input, string name)
    {
        var buffered = new BufferedStream(input, 1 << 16);
        if (name.EndsWith(".xz", StringComparison.Ordinal)) return new XZStream(buffered);
        if (name.EndsWith(".gz", StringComparison.Ordinal)) return new GZipStream(buffered, CompressionMode.Decompress);
        if (name.EndsWith(".zst", StringComparison.Ordinal)) return new ZstdNet.DecompressionStream(buffered);
        if (name.EndsWith(".tar", StringComparison.Ordinal) || !Path.GetFileName(name).Contains('.')) return buffered;
        buffered.Dispose();
        return null;
    }
}
