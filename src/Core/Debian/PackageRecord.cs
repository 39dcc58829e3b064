namespace TinyImage.Core.Debian;

/// <summary>
/// One binary package of a Packages index: the fields that resolution and download need. Relation fields are kept
/// as written and parsed only for the packages a resolution visits.
/// </summary>
public sealed class PackageRecord
{
    /// <summary>Name is the package name (Package field).</summary>
    public required string Name { get; init; }

    /// <summary>VersionText is the Version field as written.</summary>
    public required string VersionText { get; init; }

    /// <summary>Architecture is the package's architecture, or <c>all</c>.</summary>
    public required string Architecture { get; init; }

    /// <summary>MultiArch is the Multi-Arch field (<c>same</c>, <c>foreign</c>, <c>allowed</c>), or null.</summary>
    public string? MultiArch { get; init; }

    /// <summary>Priority is the Priority field (<c>required</c>, <c>important</c>, <c>standard</c>, <c>optional</c>, <c>extra</c>), or null.</summary>
    public string? Priority { get; init; }

    /// <summary>PreDepends is the Pre-Depends field as written, or null.</summary>
    public string? PreDepends { get; init; }

    /// <summary>Depends is the Depends field as written, or null.</summary>
    public string? Depends { get; init; }

    /// <summary>Recommends is the Recommends field as written, or null.</summary>
    public string? Recommends { get; init; }

    /// <summary>Provides is the Provides field as written, or null.</summary>
    public string? Provides { get; init; }

    /// <summary>Filename is the .deb's path on the mirror, relative to its root (<c>pool/main/...</c>).</summary>
    public required string Filename { get; init; }

    /// <summary>Size is the .deb's size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Sha256 is the .deb's SHA-256, 64 lowercase hex digits.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Line is the line of the stanza in its Packages index, for messages.</summary>
    public int Line { get; init; }

    /// <summary>Version is <see cref="VersionText"/> parsed.</summary>
    public required DebianVersion Version { get; init; }

    /// <summary>ToString names the package as apt does: <c>name version (architecture)</c>.</summary>
    public override string ToString() => $"{Name} {VersionText} ({Architecture})";
}
