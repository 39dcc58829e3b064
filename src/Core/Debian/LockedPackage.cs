namespace TinyImage.Core.Debian;

/// <summary>One pinned package of a <see cref="PackageLock"/>: exactly which .deb file, by size and SHA-256.</summary>
/// <param name="Name">The package name.</param>
/// <param name="Version">The version as the index writes it.</param>
/// <param name="Architecture">The package's architecture (the lock's, or <c>all</c>).</param>
/// <param name="Size">The .deb's size in bytes.</param>
/// <param name="Sha256">The .deb's SHA-256, 64 lowercase hex digits; names it in the cache.</param>
/// <param name="Filename">The .deb's path relative to the mirror's root (<c>pool/main/h/hello/hello_2.10-3_amd64.deb</c>).</param>
public sealed record LockedPackage(string Name, string Version, string Architecture, long Size, string Sha256, string Filename)
{
    /// <summary>ToString names the package as apt does: <c>name version (architecture)</c>.</summary>
    public override string ToString() => $"{Name} {Version} ({Architecture})";
}
