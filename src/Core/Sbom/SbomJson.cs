using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TinyImage.Core.Sbom;

/// <summary>What the two SBOM writers share: an indented writer that keeps text readable, the time format, stable ids.</summary>
internal static class SbomJson
{
    /// <summary>The UTF-8 bytes <paramref name="write"/> makes, indented, with a final newline.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(json);
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>2024-01-02T03:04:05Z</c>: UTC, to the second, as SPDX requires and CycloneDX accepts.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The first 16 hex digits of the SHA-256 of <paramref name="text"/>: a stable id part for any text.</summary>
    public static string ShortHash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    /// <summary>Letters, digits, '.' and '-' of <paramref name="text"/>, anything else as '-': what SPDX ids allow.</summary>
    public static string IdPart(string text)
    {
        var id = new StringBuilder(text.Length);
        foreach (var c in text) id.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        return id.ToString();
    }
}
