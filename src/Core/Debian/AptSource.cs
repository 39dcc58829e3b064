namespace TinyImage.Core.Debian;

/// <summary>
/// One binary-package source of apt's configuration (a stanza of a <c>.sources</c> file or a <c>deb</c> line of a
/// <c>.list</c> file): where the mirror is, which suites and components it serves, and which keyring signs it.
/// </summary>
/// <param name="Uris">The mirror URIs (a deb822 stanza may give several).</param>
/// <param name="Suites">The suites (<c>bookworm</c>, <c>bookworm-updates</c>).</param>
/// <param name="Components">The components (<c>main</c>, <c>contrib</c>).</param>
/// <param name="SignedBy">Signed-By: keyring paths, or one armored key block; empty when the source names none.</param>
/// <param name="Location">Where the source is written, <c>FILE(LINE)</c>, for messages.</param>
public sealed record AptSource(
    IReadOnlyList<Uri> Uris,
    IReadOnlyList<string> Suites,
    IReadOnlyList<string> Components,
    IReadOnlyList<string> SignedBy,
    string Location);
