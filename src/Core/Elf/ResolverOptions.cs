using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>
/// The environment <see cref="LibraryResolver"/> resolves in. Nothing is read from the host's
/// environment: the root, library path and per-machine defaults are all given here.
/// </summary>
public sealed record ResolverOptions
{
    /// <summary>The root file system; every path the resolver takes and returns is inside it.</summary>
    public HostFiles Files { get; init; } = new("/");

    /// <summary>Directories searched as LD_LIBRARY_PATH would be (tokens expanded against the executable). Empty by default.</summary>
    public IReadOnlyList<string> LibraryPath { get; init; } = [];

    /// <summary>The ld.so.conf inside the root whose directories stand in for /etc/ld.so.cache; null to skip that step.</summary>
    public string? LdSoConf { get; init; } = "/etc/ld.so.conf";

    /// <summary>The loader's default directories; null derives them from the executable's machine and the root's layout.</summary>
    public IReadOnlyList<string>? DefaultDirectories { get; init; }

    /// <summary>The value of <c>$LIB</c>; null derives it (Debian x86_64: "lib/x86_64-linux-gnu").</summary>
    public string? Lib { get; init; }

    /// <summary>The value of <c>$PLATFORM</c>; null derives it (x86_64: "x86_64").</summary>
    public string? Platform { get; init; }

    /// <summary>
    /// Subdirectories tried in every search directory before the directory itself, in order; null
    /// derives them (x86_64: glibc-hwcaps/x86-64-v4, -v3, -v2, tls/x86_64/x86_64, tls/x86_64, tls,
    /// x86_64/x86_64, x86_64). Only those that exist are probed.
    /// </summary>
    public IReadOnlyList<string>? SearchSubdirectories { get; init; }
}
