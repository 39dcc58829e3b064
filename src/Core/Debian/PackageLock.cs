namespace TinyImage.Core.Debian;

/// <summary>
/// A resolved request pinned to exact files: the request, the Release file it was resolved against (its SHA-256 and
/// date) and every chosen package by name, version, architecture, size, SHA-256 and pool path, sorted by name. A root
/// built from a lock uses exactly these files, whatever the mirror holds later.
/// </summary>
/// <param name="Request">What was asked for.</param>
/// <param name="ReleaseSha256">The SHA-256 of the suite's Release file (the signed text of its InRelease).</param>
/// <param name="ReleaseDate">The Release file's Date.</param>
/// <param name="Packages">The chosen packages, sorted by name.</param>
public sealed record PackageLock(PackageRequest Request, string ReleaseSha256, DateTimeOffset ReleaseDate, IReadOnlyList<LockedPackage> Packages)
{
    /// <summary>TotalSize is the sum of the .deb sizes.</summary>
    public long TotalSize => Packages.Sum(p => p.Size);

    /// <summary>SamePackages is true when <paramref name="other"/> pins exactly the same files (the Release may differ).</summary>
    public bool SamePackages(PackageLock other) => Packages.SequenceEqual(other.Packages);

    /// <summary>Equals compares the request, the Release and the packages element by element.</summary>
    public bool Equals(PackageLock? other) =>
        other is not null && Request.Equals(other.Request) && ReleaseSha256 == other.ReleaseSha256 && ReleaseDate == other.ReleaseDate && SamePackages(other);

    public override int GetHashCode() => HashCode.Combine(Request, ReleaseSha256, Packages.Count);
}
