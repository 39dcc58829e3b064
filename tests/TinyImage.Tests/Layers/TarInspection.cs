using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace TinyImage.Tests.Layers;

/// <summary>Reads tars and gzip blobs back for assertions.</summary>
internal static class TarInspection
{
    public static byte[] Gunzip(string gzipPath)
    {
        using var input = System.IO.File.OpenRead(gzipPath);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Every entry with its data (copied), in archive order.</summary>
    public static List<(TarEntry Entry, byte[] Data)> ReadEntries(byte[] tar)
    {
        var result = new List<(TarEntry, byte[])>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            result.Add((entry, data.ToArray()));
        }
        return result;
    }

    /// <summary>The raw 512-byte headers in the tar, including GNU long-name records, with their type flags.</summary>
    public static List<byte[]> RawHeaders(byte[] tar)
    {
        var headers = new List<byte[]>();
        var offset = 0;
        while (offset + 512 <= tar.Length && tar.AsSpan(offset, 512).IndexOfAnyExcept((byte)0) >= 0)
        {
            var header = tar.AsSpan(offset, 512).ToArray();
            headers.Add(header);
            var sizeText = Encoding.ASCII.GetString(header, 124, 12).Trim('\0', ' ');
            var size = sizeText.Length == 0 ? 0 : Convert.ToInt64(sizeText, 8);
            offset += 512 + (int)((size + 511) / 512 * 512);
        }
        return headers;
    }

    public static string Field(byte[] header, int offset, int length) =>
        Encoding.UTF8.GetString(header, offset, length).TrimEnd('\0');
}
