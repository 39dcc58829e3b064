namespace TinyImage.Core.Sbom;

/// <summary>A Debian package of an image, as both SBOM formats list it.</summary>
/// <param name="License">Its SPDX license expression from its copyright file, or null (NOASSERTION).</param>
/// <param name="Distro">The purl <c>distro</c> qualifier (<c>debian-12</c>), or null when the root does not say.</param>
public sealed record SbomPackage(string Name, string Version, string Architecture, string? Source, string? License, string? Distro)
{
    /// <summary>The source package's name, without the version Debian gives in parentheses when it differs.</summary>
    public string? SourceName => Source?.Split(' ', 2)[0];

    /// <summary>
    /// <c>pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&amp;distro=debian-12</c>: an epoch goes in the <c>epoch</c>
    /// qualifier, as trivy and syft write it, and qualifiers are sorted.
    /// </summary>
    public string Purl
    {
        get
        {
            var version = Version;
            string? epoch = null;
            var colon = version.IndexOf(':');
            if (colon > 0)
            {
                epoch = version[..colon];
                version = version[(colon + 1)..];
            }
            var qualifiers = new List<string> { "arch=" + Uri.EscapeDataString(Architecture) };
            if (Distro is { } distro) qualifiers.Add("distro=" + Uri.EscapeDataString(distro));
            if (epoch is not null) qualifiers.Add("epoch=" + epoch);
            return $"pkg:deb/debian/{Uri.EscapeDataString(Name)}@{Escape(version)}?{string.Join('&', qualifiers)}";
        }
    }

    /// <summary>A version in a purl: percent-encoded, but '+' and '~' kept as the purl specification allows.</summary>
    private static string Escape(string version) => Uri.EscapeDataString(version).Replace("%2B", "+", StringComparison.Ordinal);
}
