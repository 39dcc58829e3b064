using System.Text;

namespace TinyImage.Core.Elf;

/// <summary>Expands ld.so's dynamic string tokens ($ORIGIN, $LIB, $PLATFORM and their braced forms) as glibc's <c>_dl_dst_substitute</c> does.</summary>
internal static class DynamicStringTokens
{
    /// <summary>True when <paramref name="input"/> has an $ORIGIN (or ${ORIGIN}) token.</summary>
    public static bool UsesOrigin(string input) => Expand(input, "\u0001", "", "") is { } expanded && expanded.Contains('\u0001');

    /// <summary>
    /// Returns <paramref name="input"/> with known tokens replaced, or null when a known token has no
    /// value (glibc then drops the whole element). An unknown <c>$X</c> is kept literally.
    /// </summary>
    public static string? Expand(string input, string? origin, string? lib, string? platform)
    {
        if (!input.Contains('$')) return input;
        var text = new StringBuilder(input.Length + 32);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$')
            {
                text.Append(input[i]);
                continue;
            }
            var (length, value) = Token(input.AsSpan(i + 1), origin, lib, platform);
            if (length == 0)
            {
                text.Append('$');
                continue;
            }
            if (value is null) return null;
            text.Append(value);
            i += length;
        }
        return text.ToString();
    }

    /// <summary>The token at the start of <paramref name="text"/> (after a '$'): its length and value, or length 0 when there is none.</summary>
    private static (int Length, string? Value) Token(ReadOnlySpan<char> text, string? origin, string? lib, string? platform)
    {
        var length = Match(text, "ORIGIN");
        if (length > 0) return (length, origin);
        length = Match(text, "PLATFORM");
        if (length > 0) return (length, platform);
        length = Match(text, "LIB");
        return (length, length > 0 ? lib : null);
    }

    /// <summary>glibc's <c>is_dst</c>: the token, braced, or unbraced and followed by the end or '/'. Returns the length consumed, or 0.</summary>
    private static int Match(ReadOnlySpan<char> text, string token)
    {
        var curly = text.Length > 0 && text[0] == '{';
        var name = curly ? text[1..] : text;
        if (!name.StartsWith(token, StringComparison.Ordinal)) return 0;
        if (curly)
            return name.Length > token.Length && name[token.Length] == '}' ? token.Length + 2 : 0;
        return name.Length == token.Length || name[token.Length] == '/' ? token.Length : 0;
    }
}
