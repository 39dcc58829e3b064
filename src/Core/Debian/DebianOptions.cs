namespace TinyImage.Core.Debian;

/// <summary>Where Debian packages come from and where they are kept: the mirror, its keyring, apt's configuration, the cache.</summary>
public sealed record DebianOptions
{
    /// <summary>Mirror is the mirror's root URI (<c>http://HOST/debian</c> or <c>file:///PATH</c>); null takes the first apt source that serves the suite.</summary>
    public string? Mirror { get; init; }

    /// <summary>Keyring is a keyring file (binary or armored) to check InRelease with; null takes the source's Signed-By, else apt's trusted keyrings.</summary>
    public string? Keyring { get; init; }

    /// <summary>AptDirectory is where apt's configuration is read (sources and trusted keyrings).</summary>
    public string AptDirectory { get; init; } = "/etc/apt";

    /// <summary>CacheDirectory holds verified indexes, .deb files, unpacked packages and roots; see <see cref="DebianCache.DefaultDirectory"/>.</summary>
    public string CacheDirectory { get; init; } = DebianCache.DefaultDirectory();

    /// <summary>Components to read (<c>main</c>, <c>contrib</c>); null is <c>main</c>. Not taken from apt's sources, so a lock means the same on every machine.</summary>
    public IReadOnlyList<string>? Components { get; init; }

    /// <summary>MaxParallelDownloads bounds the .deb downloads (and unpacks) in flight.</summary>
    public int MaxParallelDownloads { get; init; } = 4;

    /// <summary>Progress receives download progress (bytes, packages left), or null for none.</summary>
    public IProgress<PackageDownloadProgress>? Progress { get; init; }
}
