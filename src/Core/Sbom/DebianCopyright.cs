using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sbom;

/// <summary>
/// The licenses a Debian package declares in <c>/usr/share/doc/PACKAGE/copyright</c>: the <c>License:</c> short names of
/// a machine-readable file (DEP-5, whose first paragraph has <c>Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/</c>),
/// as one SPDX license expression; null (NOASSERTION) for a free-form file or none.
/// </summary>
public static class DebianCopyright
{
    private const int MaxSize = 4 << 20;
    /// <summary>The Format URLs of machine-readable copyright files: DEP-5 as adopted, and its drafts.</summary>
    private static readonly string[] FormatUrls = ["copyright-format/1.0", "dep.debian.net/deps/dep5"];

    /// <summary>Debian's short names (DEP-5 §7) that are not SPDX identifiers as they are, with the SPDX one.</summary>
    private static readonly Dictionary<string, string> SpdxNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GPL-1"] = "GPL-1.0-only", ["GPL-1+"] = "GPL-1.0-or-later", ["GPL-2"] = "GPL-2.0-only", ["GPL-2+"] = "GPL-2.0-or-later",
        ["GPL-3"] = "GPL-3.0-only", ["GPL-3+"] = "GPL-3.0-or-later", ["LGPL-2"] = "LGPL-2.0-only", ["LGPL-2+"] = "LGPL-2.0-or-later",
        ["LGPL-2.1"] = "LGPL-2.1-only", ["LGPL-2.1+"] = "LGPL-2.1-or-later", ["LGPL-3"] = "LGPL-3.0-only", ["LGPL-3+"] = "LGPL-3.0-or-later",
        ["AGPL-3"] = "AGPL-3.0-only", ["AGPL-3+"] = "AGPL-3.0-or-later", ["GFDL-1.2"] = "GFDL-1.2-only", ["GFDL-1.2+"] = "GFDL-1.2-or-later",
        ["GFDL-1.3"] = "GFDL-1.3-only", ["GFDL-1.3+"] = "GFDL-1.3-or-later", ["Artistic"] = "Artistic-1.0-Perl", ["Artistic-2.0"] = "Artistic-2.0",
        ["BSD-2-clause"] = "BSD-2-Clause", ["BSD-3-clause"] = "BSD-3-Clause", ["BSD-4-clause"] = "BSD-4-Clause", ["Expat"] = "MIT",
        ["MIT"] = "MIT", ["ISC"] = "ISC", ["Zlib"] = "Zlib", ["Apache-2.0"] = "Apache-2.0", ["Apache-2"] = "Apache-2.0",
        ["MPL-1.1"] = "MPL-1.1", ["MPL-2.0"] = "MPL-2.0", ["curl"] = "curl", ["OpenSSL"] = "OpenSSL", ["CC0-1.0"] = "CC0-1.0",
        ["CC0"] = "CC0-1.0", ["BSL-1.0"] = "BSL-1.0", ["X11"] = "X11", ["FSFAP"] = "FSFAP", ["FSFUL"] = "FSFUL", ["FSFULLR"] = "FSFULLR",
        ["PSF-2"] = "PSF-2.0", ["Python-2.0"] = "Python-2.0", ["PostgreSQL"] = "PostgreSQL", ["Unicode-DFS-2016"] = "Unicode-DFS-2016",
        ["bzip2-1.0.6"] = "bzip2-1.0.6", ["OFL-1.1"] = "OFL-1.1", ["CC-BY-SA-3.0"] = "CC-BY-SA-3.0", ["CC-BY-4.0"] = "CC-BY-4.0",
        ["WTFPL"] = "WTFPL", ["Unlicense"] = "Unlicense", ["Apache-1.1"] = "Apache-1.1", ["EPL-1.0"] = "EPL-1.0", ["EPL-2.0"] = "EPL-2.0",
    };

    /// <summary>The license expression of <paramref name="package"/>'s copyright file in <paramref name="root"/>, or null.</summary>
    public static string? LicenseOf(HostFiles root, string package)
    {
        var path = $"/usr/share/doc/{package}/copyright";
        if (root.Resolve(path) is not { } found || !root.Status(found.RealPath).IsFile) return null;
        return License(Encoding.UTF8.GetString(RegularFile.ReadAllBytes(root.HostPath(found.RealPath), MaxSize)));
    }

    /// <summary>The SPDX expression of a copyright file's text: its <c>License:</c> fields joined by AND; null when it is not DEP-5.</summary>
    public static string? License(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var first = lines.TakeWhile(l => l.Trim().Length > 0).ToList();
        if (!first.Any(l => l.StartsWith("Format:", StringComparison.OrdinalIgnoreCase) && FormatUrls.Any(u => l.Contains(u, StringComparison.Ordinal))))
            return null;
        var terms = new List<string>();
        foreach (var line in lines)
        {
            if (!line.StartsWith("License:", StringComparison.OrdinalIgnoreCase)) continue;
            var names = line["License:".Length..].Trim();
            if (names.Length == 0) continue;
            // "A and B" on one line adds A and B; a choice ("A or B") stays one term. Each term is kept once.
            var term = Expression(names);
            foreach (var part in term.Contains(" OR ", StringComparison.Ordinal) ? [term] : term.Split(" AND "))
                if (!terms.Contains(part, StringComparer.Ordinal)) terms.Add(part);
        }
        if (terms.Count == 0) return null;
        return terms.Count == 1 ? terms[0] : string.Join(" AND ", terms.Select(t => t.Contains(" OR ", StringComparison.Ordinal) ? $"({t})" : t));
    }

    /// <summary>
    /// One <c>License:</c> line as an SPDX expression: names mapped, <c>or</c>/<c>and</c> (and commas) as OR/AND. A name
    /// SPDX has no identifier for, or a term with an exception (<c>GPL-2+ with OpenSSL exception</c>), is a
    /// <c>LicenseRef-</c> of the Debian words.
    /// </summary>
    private static string Expression(string names)
    {
        var parts = new List<string>();
        var term = new List<string>();
        void EndTerm()
        {
            if (term.Count == 0) return;
            parts.Add(term.Count == 1 && SpdxNames.TryGetValue(term[0], out var spdx) ? spdx : Reference(string.Join(' ', term)));
            term.Clear();
        }
        foreach (var raw in names.Replace(",", " and ", StringComparison.Ordinal).Replace("(", " ", StringComparison.Ordinal).Replace(")", " ", StringComparison.Ordinal)
                     .Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.Equals("or", StringComparison.OrdinalIgnoreCase) || raw.Equals("and", StringComparison.OrdinalIgnoreCase))
            {
                EndTerm();
                if (parts.Count > 0 && parts[^1] is not ("OR" or "AND")) parts.Add(raw.ToUpperInvariant());
                continue;
            }
            term.Add(raw);
        }
        EndTerm();
        if (parts.Count > 0 && parts[^1] is "OR" or "AND") parts.RemoveAt(parts.Count - 1);
        return string.Join(' ', parts);
    }

    /// <summary>A <c>LicenseRef-</c> identifier for Debian's words: letters, digits, '.' and '-' only.</summary>
    public static string Reference(string words)
    {
        var id = new StringBuilder("LicenseRef-");
        foreach (var c in words) id.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : c == '+' ? "-or-later" : "-");
        return id.ToString();
    }
}
