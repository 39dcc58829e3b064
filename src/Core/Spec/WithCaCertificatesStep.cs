using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// The CA bundle /etc/ssl/certs/ca-certificates.crt and OpenSSL's /usr/lib/ssl/{certs,cert.pem} links to it; with
/// <see cref="Extra"/>, those PEM certificates (host paths of the recipe's own files) are trusted too.
/// </summary>
public sealed record WithCaCertificatesStep : BuildStep
{
    /// <summary>More certificates to trust, appended to the bundle: absolute host paths.</summary>
    public ImmutableArray<string> Extra { get; init; } = [];

    public bool Equals(WithCaCertificatesStep? other) => other is not null && base.Equals(other) && Extra.SequenceEqual(other.Extra);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Extra.Length);
}
