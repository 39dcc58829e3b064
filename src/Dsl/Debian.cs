using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using TinyImage.Core;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>
/// Debian's packages as an image's root: <c>From.Scratch().Root(Debian.Release("bookworm").Install("curl"))</c>.
/// The packages come from the archive the machine's apt configuration names (or <c>mirror</c>), verified, pinned by
/// the recipe's lock file (NAME.tiny.lock), and unpacked without running any maintainer script.
/// </summary>
public static partial class Debian
{
    /// <summary>A Debian release, e.g. <c>"bookworm"</c>.</summary>
    /// <param name="mirror">The archive's URI; null: the one the machine's apt configuration names for the release.</param>
    public static DebianRelease Release(string suite, string? mirror = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!SuiteName().IsMatch(suite ?? ""))
            throw new TinyImageException($"{file}({line}): Debian.Release(\"{suite}\"): give a release name such as \"bookworm\"");
        if (mirror is not null && !(Uri.TryCreate(mirror, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file"))
            throw new TinyImageException($"{file}({line}): Debian.Release(\"{suite}\", mirror: \"{mirror}\"): give the archive's http(s) or file URI");
        return new DebianRelease(suite!, mirror, withRecommends: false);
    }

    [GeneratedRegex("^[a-z][a-z0-9.-]*$")]
    private static partial Regex SuiteName();
}
