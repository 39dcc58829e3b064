using System.Globalization;
using System.Text;

namespace TinyImage.Core.Sources;

/// <summary>Text from an archive someone else made, made safe to print and to put in one-line messages.</summary>
public static class ArchiveText
{
    /// <summary><paramref name="text"/> with each control character (a newline, an escape sequence) written as <c>\xNN</c>.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var printable = new StringBuilder(text.Length + 16);
        foreach (var c in text)
            printable.Append(char.IsControl(c) ? $"\\x{((int)c).ToString("x2", CultureInfo.InvariantCulture)}" : c);
        return printable.ToString();
    }

    /// <summary>
    /// Whether <paramref name="e"/> is what <see cref="System.Formats.Tar.TarReader"/> (or the gzip under it) throws on a
    /// damaged or unusual tar: every such exception is the archive's fault, not ours.
    /// </summary>
    internal static bool IsTarDamage(Exception e) =>
        e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException
            or InvalidOperationException or NotSupportedException or IOException;
}
