using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace TinyImage.Core.Spec;

/// <summary>
/// An image name with a tag, as Docker accepts it: <c>[host[:port]/]path[:tag]</c>, lower-case path
/// components, the tag defaulting to "latest". Digest references are not accepted here: a build names a tag.
/// </summary>
public sealed partial record ImageReference(string Repository, string Tag)
{
    /// <summary>The last path component of the repository, used to name output files: "hello" for "example.com/team/hello:1".</summary>
    public string ShortName => Repository[(Repository.LastIndexOf('/') + 1)..];

    /// <summary>The name as containerd spells it: "docker.io/library/hello:latest".</summary>
    public string FullyQualified
    {
        get
        {
            var first = Repository.Split('/')[0];
            var hasHost = Repository.Contains('/') && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsAsciiLetterUpper));
            var repository = hasHost ? Repository : "docker.io/" + (Repository.Contains('/') ? Repository : "library/" + Repository);
            return $"{repository}:{Tag}";
        }
    }

    public override string ToString() => $"{Repository}:{Tag}";

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference, out var problem) ? reference : throw new TinyImageException($"'{text}': {problem}");

    public static bool TryParse(string text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? problem)
    {
        reference = null;
        var match = ReferencePattern().Match(text);
        if (!match.Success)
        {
            problem = "not a valid image name; use lower-case letters, digits and . _ - separators, e.g. \"hello:latest\" or \"example.com/team/app:1.0\"";
            return false;
        }
        if (match.Groups["repo"].Value.Length > 255)
        {
            problem = "an image name (without its tag) may have at most 255 characters";
            return false;
        }
        problem = null;
        reference = new ImageReference(match.Groups["repo"].Value, match.Groups["tag"].Success ? match.Groups["tag"].Value : "latest");
        return true;
    }

    // distribution/reference's grammar: domain, path components, tag.
    [GeneratedRegex(@"^(?<repo>(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?\z")]
    private static partial Regex ReferencePattern();
}
