using System.Globalization;

namespace TinyImage.Core.Debian;

/// <summary>
/// A Debian package version <c>[epoch:]upstream[-revision]</c>, ordered as dpkg orders them (Debian Policy 5.6.12;
/// dpkg's <c>verrevcmp</c>): epochs numerically, then upstream and revision part by part, non-digit runs by
/// character with letters before other characters and <c>~</c> before everything, even the end of the string, and
/// digit runs numerically. Equal means equal in that order: <c>1.0</c> equals <c>1.00</c> and <c>1.0-0</c>.
/// </summary>
public readonly struct DebianVersion : IComparable<DebianVersion>, IEquatable<DebianVersion>
{
    private DebianVersion(long epoch, string upstream, string revision)
    {
        Epoch = epoch;
        Upstream = upstream;
        Revision = revision;
    }

    /// <summary>Epoch is the number before ':' (0 when absent).</summary>
    public long Epoch { get; }

    /// <summary>Upstream is the part between the epoch and the last '-'.</summary>
    public string Upstream { get; }

    /// <summary>Revision is the part after the last '-' (empty when absent).</summary>
    public string Revision { get; }

    /// <summary>Parse reads a version as dpkg does; an invalid one is a <see cref="FormatException"/>.</summary>
    public static DebianVersion Parse(string text) =>
        TryParse(text, out var version, out var error) ? version : throw new FormatException($"'{text}' is not a Debian version: {error}");

    /// <summary>TryParse reads a version as dpkg's <c>parseversion</c> does (its warnings are errors here).</summary>
    public static bool TryParse(string? text, out DebianVersion version) => TryParse(text, out version, out _);

    private static bool TryParse(string? text, out DebianVersion version, out string error)
    {
        version = default;
        text = text?.Trim(' ', '\t');
        if (string.IsNullOrEmpty(text)) { error = "it is empty"; return false; }
        if (text.AsSpan().IndexOfAny(" \t\n\r") >= 0) { error = "it contains whitespace"; return false; }
        long epoch = 0;
        var colon = text.IndexOf(':');
        if (colon >= 0)
        {
            if (!long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out epoch) || epoch > int.MaxValue)
            {
                error = "the epoch is not a number";
                return false;
            }
            text = text[(colon + 1)..];
        }
        var dash = text.LastIndexOf('-');
        var upstream = dash >= 0 ? text[..dash] : text;
        var revision = dash >= 0 ? text[(dash + 1)..] : "";
        if (upstream.Length == 0) { error = "the upstream part is empty"; return false; }
        if (dash >= 0 && revision.Length == 0) { error = "the revision is empty"; return false; }
        if (!char.IsAsciiDigit(upstream[0])) { error = "it does not start with a digit"; return false; }
        foreach (var c in upstream)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' or '~' or ':'))
            {
                error = $"the upstream part contains '{c}'";
                return false;
            }
        foreach (var c in revision)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '+' or '~'))
            {
                error = $"the revision contains '{c}'";
                return false;
            }
        version = new DebianVersion(epoch, upstream, revision);
        error = "";
        return true;
    }

    /// <summary>Compare orders two version strings as <c>dpkg --compare-versions</c>; both must be valid.</summary>
    public static int Compare(string left, string right) => Parse(left).CompareTo(Parse(right));

    /// <summary>CompareTo orders by epoch, then upstream, then revision, as dpkg does.</summary>
    public int CompareTo(DebianVersion other)
    {
        if (Epoch != other.Epoch) return Epoch < other.Epoch ? -1 : 1;
        var upstream = CompareParts(Upstream ?? "", other.Upstream ?? "");
        return upstream != 0 ? upstream : CompareParts(Revision ?? "", other.Revision ?? "");
    }

    /// <summary>Equals is true when dpkg orders the two versions as equal.</summary>
    public bool Equals(DebianVersion other) => CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is DebianVersion other && Equals(other);

    /// <summary>GetHashCode hashes the version with the leading zeros of its digit runs removed, so equal versions hash equally.</summary>
    public override int GetHashCode() => HashCode.Combine(Epoch, WithoutLeadingZeros(Upstream ?? ""), WithoutLeadingZeros(Revision ?? ""));

    public static bool operator ==(DebianVersion left, DebianVersion right) => left.Equals(right);
    public static bool operator !=(DebianVersion left, DebianVersion right) => !left.Equals(right);
    public static bool operator <(DebianVersion left, DebianVersion right) => left.CompareTo(right) < 0;
    public static bool operator >(DebianVersion left, DebianVersion right) => left.CompareTo(right) > 0;
    public static bool operator <=(DebianVersion left, DebianVersion right) => left.CompareTo(right) <= 0;
    public static bool operator >=(DebianVersion left, DebianVersion right) => left.CompareTo(right) >= 0;

    /// <summary>ToString writes the version back, with its epoch when not 0 and its revision when not empty.</summary>
    public override string ToString() =>
        (Epoch != 0 ? Epoch.ToString(CultureInfo.InvariantCulture) + ":" : "") + Upstream + (Revision is { Length: > 0 } ? "-" + Revision : "");

    /// <summary>dpkg's <c>verrevcmp</c>, with a sign-only result.</summary>
    private static int CompareParts(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                var ac = Order(At(a, i));
                var bc = Order(At(b, j));
                if (ac != bc) return ac < bc ? -1 : 1;
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            var firstDifference = 0;
            while (i < a.Length && j < b.Length && char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                if (firstDifference == 0) firstDifference = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i])) return 1;
            if (j < b.Length && char.IsAsciiDigit(b[j])) return -1;
            if (firstDifference != 0) return firstDifference < 0 ? -1 : 1;
        }
        return 0;
    }

    private static string WithoutLeadingZeros(string part)
    {
        var kept = new System.Text.StringBuilder(part.Length);
        for (var i = 0; i < part.Length; i++)
            if (part[i] != '0' || (i > 0 && char.IsAsciiDigit(part[i - 1]) && kept.Length > 0 && char.IsAsciiDigit(kept[^1]))) kept.Append(part[i]);
        return kept.ToString();
    }

    private static char At(string s, int index) => index < s.Length ? s[index] : '\0';

    /// <summary>dpkg's <c>order</c>: digits and the end 0, letters their code, '~' -1, anything else after letters.</summary>
    private static int Order(char c) =>
        char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetter(c) ? c : c == '~' ? -1 : c != '\0' ? c + 256 : 0;
}
