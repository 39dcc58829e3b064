using System.Text;

namespace TinyImage.Core.Build;

/// <summary>Locale names as glibc looks them up in /usr/lib/locale.</summary>
public static class LocaleNames
{
    /// <summary>
    /// The name with its codeset normalized as glibc's <c>_nl_normalize_codeset</c> does (letters
    /// lower-cased, everything but letters and digits dropped, "iso" before an all-digit codeset):
    /// "C.UTF-8" gives "C.utf8", "de_DE.ISO-8859-1@euro" gives "de_DE.iso88591@euro".
    /// </summary>
    public static string Normalize(string name)
    {
        var dot = name.IndexOf('.');
        if (dot < 0) return name;
        var at = name.IndexOf('@', dot);
        var codeset = at < 0 ? name[(dot + 1)..] : name[(dot + 1)..at];
        var normalized = new StringBuilder();
        foreach (var c in codeset)
            if (char.IsAsciiLetterOrDigit(c)) normalized.Append(char.ToLowerInvariant(c));
        if (normalized.Length > 0 && normalized.ToString().All(char.IsAsciiDigit)) normalized.Insert(0, "iso");
        return name[..(dot + 1)] + normalized + (at < 0 ? "" : name[at..]);
    }
}
