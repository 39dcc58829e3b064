using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Build;

/// <summary>
/// glibc's iconv configuration (gconv-modules and gconv-modules.d/*.conf): which module file converts
/// a character set. Names are normalized as iconv_open does (upper case, "//" suffixes such as
/// //TRANSLIT dropped), aliases are followed, and the sets built into libc (UTF-8, ASCII, UCS-2/4,
/// INTERNAL...) need no module.
/// </summary>
public sealed class GconvModules
{
    private const int MaxFileBytes = 16 << 20;

    // glibc iconv/gconv_builtin.h: the aliases and sets libc converts without a module.
    private static readonly HashSet<string> Builtin = new(StringComparer.Ordinal)
    {
        "INTERNAL", "ISO-10646/UCS4/", "UCS4//", "UCS-4//", "UCS-4BE//", "CSUCS4//", "ISO-10646//",
        "10646-1:1993//", "10646-1:1993/UCS4/", "OSF00010104//", "OSF00010105//", "OSF00010106//", "WCHAR_T//",
        "UCS-4LE//", "ISO-10646/UTF8/", "UTF8//", "UTF-8//", "ISO-IR-193//", "OSF05010001//", "ISO-10646/UTF-8/",
        "ISO-10646/UCS2/", "UCS2//", "UCS-2//", "OSF00010100//", "OSF00010101//", "OSF00010102//",
        "ANSI_X3.4-1968//", "ANSI_X3.4//", "ISO-IR-6//", "ANSI_X3.4-1986//", "ISO_646.IRV:1991//", "ASCII//",
        "ISO646-US//", "US-ASCII//", "US//", "IBM367//", "CP367//", "CSASCII//", "OSF00010020//",
        "UNICODELITTLE//", "UCS-2LE//", "UCS-2BE//", "UNICODEBIG//",
    };

    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> _modules = new(StringComparer.Ordinal);

    private GconvModules() { }

    /// <summary>
    /// Parses configuration text; <paramref name="directory"/> is where relative module names live
    /// (the gconv directory). Later aliases and modules do not replace earlier ones, as in glibc.
    /// </summary>
    public static GconvModules Parse(IEnumerable<string> lines, string directory)
    {
        var result = new GconvModules();
        foreach (var raw in lines)
        {
            var hash = raw.IndexOf('#');
            var fields = (hash >= 0 ? raw[..hash] : raw).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 3 && fields[0] == "alias")
                result._aliases.TryAdd(fields[1].ToUpperInvariant(), fields[2].ToUpperInvariant());
            else if (fields.Length >= 4 && fields[0] == "module")
            {
                var file = fields[3].StartsWith('/') ? fields[3] : directory.TrimEnd('/') + "/" + fields[3];
                if (!file.EndsWith(".so", StringComparison.Ordinal)) file += ".so";
                foreach (var set in new[] { fields[1].ToUpperInvariant(), fields[2].ToUpperInvariant() })
                {
                    if (set == "INTERNAL") continue;
                    if (!result._modules.TryGetValue(set, out var files)) result._modules[set] = files = new(StringComparer.Ordinal);
                    files.Add(file);
                }
            }
        }
        return result;
    }

    /// <summary>Reads gconv-modules and gconv-modules.d/*.conf (sorted) from the host directory <paramref name="hostDirectory"/>; paths returned are under <paramref name="directory"/>.</summary>
    public static GconvModules Read(string hostDirectory, string directory)
    {
        var lines = new List<string>();
        var main = Path.Combine(hostDirectory, "gconv-modules");
        if (HostFileStatus.Of(main).IsFile) lines.AddRange(RegularFile.ReadAllLines(main, MaxFileBytes));
        var extra = Path.Combine(hostDirectory, "gconv-modules.d");
        if (HostFileStatus.Of(extra).IsDirectory)
            foreach (var conf in Directory.GetFiles(InputRecorder.Observe(extra), "*.conf").Order(StringComparer.Ordinal))
                if (HostFileStatus.Of(conf).IsFile) lines.AddRange(RegularFile.ReadAllLines(conf, MaxFileBytes));
        return Parse(lines, directory);
    }

    /// <summary>The name iconv_open looks up: "iso-8859-15//TRANSLIT" gives "ISO-8859-15//".</summary>
    public static string Normalize(string charset)
    {
        var suffix = charset.IndexOf("//", StringComparison.Ordinal);
        var name = suffix >= 0 ? charset[..suffix] : charset;
        var kept = new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ',' or ':' or '/').ToArray())
            .ToUpperInvariant();
        return kept.EndsWith('/') ? kept : kept + "//";
    }

    /// <summary>
    /// The module files (absolute paths) that convert <paramref name="charset"/> to and from libc's
    /// internal form: empty for a set built into libc, null for a name the configuration does not know.
    /// </summary>
    public IReadOnlyList<string>? ModulesFor(string charset)
    {
        var name = Normalize(charset);
        if (Builtin.Contains(name)) return [];
        if (_aliases.TryGetValue(name, out var real))
        {
            if (Builtin.Contains(real)) return [];
            name = real;
        }
        return _modules.TryGetValue(name, out var files) ? files.ToList() : null;
    }
}
