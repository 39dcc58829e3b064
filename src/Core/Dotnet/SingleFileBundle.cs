using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Dotnet;

/// <summary>
/// Reads the manifest of a single-file app (<c>PublishSingleFile</c>): the host holds a 32-byte signature (SHA-256 of
/// ".net core bundle") after the 8-byte offset of the bundle header, 0 in a plain apphost; header version 2 and later
/// give the offsets of the bundled <c>deps.json</c> and <c>runtimeconfig.json</c> (src/installer/managed/Microsoft.NET.HostModel/Bundle in dotnet/runtime).
/// </summary>
public static class SingleFileBundle
{
    private static ReadOnlySpan<byte> Signature =>
    [
        0x8b, 0x12, 0x02, 0xb9, 0x6a, 0x61, 0x20, 0x38, 0x72, 0x7b, 0x93, 0x02, 0x14, 0xd7, 0xa0, 0x32,
        0x13, 0xf5, 0xb9, 0xe6, 0xef, 0xae, 0x33, 0x18, 0xee, 0x3b, 0x2d, 0xce, 0x24, 0xb3, 0x6a, 0xae,
    ];

    private const int ChunkBytes = 1 << 20;

    /// <summary>The offset of the bundle header in the executable <paramref name="hostPath"/>, or null when it is no bundle.</summary>
    public static long? HeaderOffset(string hostPath)
    {
        using var stream = RegularFile.OpenRead(hostPath);
        var buffer = new byte[ChunkBytes + 40];
        var kept = 0;
        while (true)
        {
            var read = stream.ReadAtLeast(buffer.AsSpan(kept, ChunkBytes), ChunkBytes, throwOnEndOfStream: false);
            var window = buffer.AsSpan(0, kept + read);
            var at = window.IndexOf(Signature);
            if (at >= 8)
            {
                var offset = BitConverter.ToInt64(window.Slice(at - 8, 8));
                return offset > 0 && offset < stream.Length ? offset : null;
            }
            if (read < ChunkBytes) return null;
            // Keep the last 39 bytes: a signature (and its offset) may straddle two chunks.
            kept = Math.Min(window.Length, 39);
            window[^kept..].CopyTo(buffer);
        }
    }

    /// <summary>The bundled <c>runtimeconfig.json</c> and <c>deps.json</c> of the bundle at <paramref name="headerOffset"/> (null: not in it).</summary>
    public static (byte[]? RuntimeConfig, byte[]? DepsJson) ReadManifest(string hostPath, long headerOffset)
    {
        using var stream = RegularFile.OpenRead(hostPath);
        stream.Position = headerOffset;
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var major = reader.ReadUInt32();
            reader.ReadUInt32(); // minor
            reader.ReadInt32(); // file count
            reader.ReadString(); // bundle id
            if (major < 2) return (null, null);
            var (depsOffset, depsSize) = (reader.ReadInt64(), reader.ReadInt64());
            var (configOffset, configSize) = (reader.ReadInt64(), reader.ReadInt64());
            return (Slice(stream, configOffset, configSize, RuntimeConfig.MaxBytes, hostPath), Slice(stream, depsOffset, depsSize, DepsFile.MaxBytes, hostPath));
        }
        catch (EndOfStreamException e)
        {
            throw new TinyImageException($"{hostPath}: its single-file bundle header ends early; publish the app again", e);
        }
    }

    private static byte[]? Slice(Stream stream, long offset, long size, int maxBytes, string hostPath)
    {
        if (size == 0) return null;
        if (offset < 0 || size < 0 || size > maxBytes || offset + size > stream.Length)
            throw new TinyImageException($"{hostPath}: its single-file bundle names a file at {offset} of {size} bytes, outside the file or over {maxBytes} bytes; publish the app again");
        stream.Position = offset;
        var bytes = new byte[size];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
