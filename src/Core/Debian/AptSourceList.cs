namespace TinyImage.Core.Debian;

/// <summary>
/// The binary-package sources of a machine's apt configuration, read as apt reads them: <c>sources.list</c>, then
/// <c>sources.list.d/*.list</c> and <c>*.sources</c> in name order. Disabled files (other suffixes), stanzas with
/// <c>Enabled: no</c> and types other than <c>deb</c> are skipped.
/// </summary>
public sealed class AptSourceList
{
    private AptSourceList(string aptDirectory, IReadOnlyList<AptSource> sources)
    {
        AptDirectory = aptDirectory;
        Sources = sources;
    }

    /// <summary>AptDirectory is the configuration directory read (<c>/etc/apt</c>).</summary>
    public string AptDirectory { get; }

    /// <summary>Sources are the enabled <c>deb</c> sources in apt's order.</summary>
    public IReadOnlyList<AptSource> Sources { get; }

    /// <summary>Find returns the first source that serves <paramref name="suite"/>, or null.</summary>
    public AptSource? Find(string suite) => Sources.FirstOrDefault(s => s.Suites.Contains(suite, StringComparer.Ordinal));

    /// <summary>
    /// DefaultKeyrings are the keyrings apt trusts for a source without Signed-By: <c>trusted.gpg</c> and
    /// <c>trusted.gpg.d/*.gpg</c> and <c>*.asc</c>, those that exist, in name order.
    /// </summary>
    public IReadOnlyList<string> DefaultKeyrings()
    {
        var keyrings = new List<string>();
        var single = Path.Combine(AptDirectory, "trusted.gpg");
        if (File.Exists(single)) keyrings.Add(single);
        var directory = Path.Combine(AptDirectory, "trusted.gpg.d");
        if (Directory.Exists(directory))
            keyrings.AddRange(Directory.EnumerateFiles(directory)
                .Where(f => f.EndsWith(".gpg", StringComparison.Ordinal) || f.EndsWith(".asc", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal));
        return keyrings;
    }

    /// <summary>Read reads the apt configuration under <paramref name="aptDirectory"/>; a missing directory has no sources.</summary>
    /// <exception cref="TinyImageException">A malformed source, named by file and line.</exception>
    public static AptSourceList Read(string aptDirectory = "/etc/apt")
    {
        var sources = new List<AptSource>();
        try
        {
            var main = Path.Combine(aptDirectory, "sources.list");
            if (File.Exists(main)) sources.AddRange(ReadOneLineFile(main));
            var directory = Path.Combine(aptDirectory, "sources.list.d");
            if (Directory.Exists(directory))
                foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
                {
                    if (file.EndsWith(".list", StringComparison.Ordinal)) sources.AddRange(ReadOneLineFile(file));
                    else if (file.EndsWith(".sources", StringComparison.Ordinal)) sources.AddRange(ReadDeb822File(file));
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot read apt's sources under {aptDirectory}: {e.Message}", e);
        }
        return new AptSourceList(aptDirectory, sources);
    }

    private static IEnumerable<AptSource> ReadDeb822File(string file)
    {
        foreach (var stanza in ControlStanza.ReadAll(File.ReadAllText(file), file))
        {
            var location = $"{file}({stanza.Line})";
            if (string.Equals(stanza["Enabled"]?.Trim(), "no", StringComparison.OrdinalIgnoreCase)) continue;
            if (!Words(stanza["Types"]).Contains("deb")) continue;
            var uris = Words(stanza["URIs"]).Select(u => ParseUri(u, location)).ToList();
            var suites = Words(stanza["Suites"]);
            if (uris.Count == 0 || suites.Count == 0) throw new TinyImageException($"{location}: a source without URIs or Suites");
            var signedBy = stanza["Signed-By"] is { } value ? SignedBy(value) : [];
            yield return new AptSource(uris, suites, Words(stanza["Components"]), signedBy, location);
        }
    }

    /// <summary>Signed-By holds keyring paths (or fingerprints), or an armored key block whose empty lines are written " .".</summary>
    private static IReadOnlyList<string> SignedBy(string value)
    {
        if (!value.Contains("-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal)) return Words(value.Replace(',', ' '));
        var lines = value.Split('\n').Select(l => l.Trim()).Select(l => l == "." ? "" : l);
        return [string.Join('\n', lines) + "\n"];
    }

    private static IEnumerable<AptSource> ReadOneLineFile(string file)
    {
        var number = 0;
        foreach (var raw in File.ReadLines(file))
        {
            number++;
            var hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0) continue;
            var location = $"{file}({number})";
            var words = new List<string>(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            if (words[0] != "deb") continue;
            words.RemoveAt(0);
            var signedBy = new List<string>();
            if (words.Count > 0 && words[0].StartsWith('['))
            {
                // options: [ key=value key=value ], with or without spaces inside the brackets
                var options = new List<string>();
                while (words.Count > 0)
                {
                    var word = words[0];
                    words.RemoveAt(0);
                    options.Add(word.Trim('[', ']'));
                    if (word.EndsWith(']')) break;
                }
                foreach (var option in options.Where(o => o.Length > 0))
                    if (option.StartsWith("signed-by=", StringComparison.OrdinalIgnoreCase))
                        signedBy.AddRange(option["signed-by=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
            if (words.Count < 2) throw new TinyImageException($"{location}: expected 'deb [options] URI SUITE [COMPONENT...]'");
            yield return new AptSource([ParseUri(words[0], location)], [words[1]], words.Skip(2).ToList(), signedBy, location);
        }
    }

    private static Uri ParseUri(string text, string location) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new TinyImageException($"{location}: '{text}' is not a URI");

    private static IReadOnlyList<string> Words(string? value) =>
        value?.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) ?? [];
}
