using System.Globalization;

namespace TinyImage.Core.Debian;

/// <summary>
/// The Release file of a suite (the signed text of its InRelease): when it was made, until when it is valid, what it
/// holds, and the size and SHA-256 of each index file under <c>dists/SUITE/</c>.
/// </summary>
public sealed class ReleaseFile
{
    private readonly Dictionary<string, (long Size, string Sha256)> _files;

    private ReleaseFile(ControlStanza stanza, Dictionary<string, (long Size, string Sha256)> files, DateTimeOffset date, DateTimeOffset? validUntil)
    {
        _files = files;
        Date = date;
        ValidUntil = validUntil;
        Suite = stanza["Suite"];
        Codename = stanza["Codename"];
        Architectures = Words(stanza["Architectures"]);
        Components = Words(stanza["Components"]);
        AcquireByHash = string.Equals(stanza["Acquire-By-Hash"], "yes", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Date is when the archive made this Release file.</summary>
    public DateTimeOffset Date { get; }

    /// <summary>ValidUntil is when it expires (Valid-Until), or null when it does not.</summary>
    public DateTimeOffset? ValidUntil { get; }

    /// <summary>Suite is the Suite field (<c>stable</c>, <c>oldstable</c>), or null.</summary>
    public string? Suite { get; }

    /// <summary>Codename is the Codename field (<c>bookworm</c>), or null.</summary>
    public string? Codename { get; }

    /// <summary>Architectures are the architectures the suite has.</summary>
    public IReadOnlyList<string> Architectures { get; }

    /// <summary>Components are the components the suite has (<c>main</c>, <c>contrib</c>, ...).</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>AcquireByHash is true when index files can be fetched by their hash (<c>by-hash/SHA256/HEX</c>).</summary>
    public bool AcquireByHash { get; }

    /// <summary>Find returns the size and SHA-256 of <paramref name="path"/> (relative to <c>dists/SUITE/</c>), or null.</summary>
    public (long Size, string Sha256)? Find(string path) => _files.TryGetValue(path, out var entry) ? entry : null;

    /// <summary>Parse reads the text of a Release file (or the verified text of an InRelease).</summary>
    /// <param name="sourceName">Names the file in errors.</param>
    /// <exception cref="TinyImageException">No Date, a malformed SHA256 list, or not exactly one stanza.</exception>
    public static ReleaseFile Parse(string text, string sourceName)
    {
        var stanzas = ControlStanza.ReadAll(text, sourceName);
        if (stanzas.Count != 1) throw new TinyImageException($"{sourceName}: a Release file has one stanza, this one has {stanzas.Count}");
        var stanza = stanzas[0];
        var date = ParseDate(stanza.Find("Date"), sourceName) ?? throw new TinyImageException($"{sourceName}: the Release file has no Date");
        var validUntil = ParseDate(stanza.Find("Valid-Until"), sourceName);
        var files = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        if (stanza.Find("SHA256") is not { } list) throw new TinyImageException($"{sourceName}: the Release file has no SHA256 list");
        var lineNumber = list.Line + 1; // the list starts on the line after "SHA256:"
        foreach (var line in list.Value.Split('\n'))
        {
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) { lineNumber++; continue; }
            if (parts.Length != 3 || !Sha256Hex.IsValid(parts[0]) ||
                !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                throw new TinyImageException($"{sourceName}({lineNumber}): expected 'SHA256 SIZE PATH' in the SHA256 list, found '{line.Trim()}'");
            files[parts[2]] = (size, parts[0]);
            lineNumber++;
        }
        return new ReleaseFile(stanza, files, date, validUntil);
    }

    /// <summary>An RFC 2822 date as the archive writes it: <c>Sat, 11 Jul 2026 10:16:37 UTC</c>.</summary>
    private static DateTimeOffset? ParseDate((string Name, string Value, int Line)? field, string sourceName)
    {
        if (field is not { } f) return null;
        var text = f.Value.Trim();
        foreach (var zone in (string[])["UTC", "GMT", "+0000", "Z"])
            if (text.EndsWith(" " + zone, StringComparison.Ordinal))
            {
                var bare = text[..^(zone.Length + 1)];
                if (DateTime.TryParseExact(bare, ["ddd, d MMM yyyy HH:mm:ss", "ddd, dd MMM yyyy HH:mm:ss", "d MMM yyyy HH:mm:ss"],
                        CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
                    return new DateTimeOffset(parsed, TimeSpan.Zero);
            }
        throw new TinyImageException($"{sourceName}({f.Line}): '{f.Value}' is not a date such as 'Sat, 11 Jul 2026 10:16:37 UTC' in field {f.Name}");
    }

    private static string[] Words(string? value) =>
        value?.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) ?? [];
}
