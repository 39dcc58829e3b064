using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>Everything needed to build one image: what goes in it, in order, and how it runs.</summary>
public sealed record ImageSpec
{
    /// <summary>Image reference such as "hello:latest"; null means derived from the recipe's file name.</summary>
    public string? Reference { get; init; }

    public ImmutableArray<BuildStep> Steps { get; init; } = [];

    /// <summary>
    /// A root file system (sysroot) on the host, e.g. a debootstrap'd tree or an unpacked image of another
    /// architecture: binaries, libraries and data are taken from inside it, never from the host. Null: "/".
    /// </summary>
    public string? Root { get; init; }

    /// <summary>The image this one builds on (<c>From.Image</c>); null: <c>From.Scratch()</c>, an empty image.</summary>
    public BaseImage? Base { get; init; }

    /// <summary>A root that is another image's file system (<c>.Root(From.Image(...))</c>), unpacked for the platform being built.</summary>
    public BaseImage? RootImage { get; init; }

    /// <summary>A root made of Debian packages, unpacked for the platform being built (instead of <see cref="Root"/>).</summary>
    public DebianPackages? Packages { get; init; }

    /// <summary>
    /// Whether the image says which Debian packages its files come from (<c>/var/lib/dpkg/status.d</c>, the OS release
    /// files), for scanners; on by default, off with <c>.WithoutPackageMetadata()</c>.
    /// </summary>
    public bool PackageMetadata { get; init; } = true;

    /// <summary>The platforms to build, e.g. linux/amd64 and linux/arm64; empty: the host's, unless <c>--platform</c> says otherwise.</summary>
    public ImmutableArray<Platform> Platforms { get; init; } = [];
    public ImageConfig Config { get; init; } = new();

    /// <summary>Unmet runtime needs (what its programs import but the image lacks) fail the build instead of printing hints (<c>.Strict()</c>).</summary>
    public bool Strict { get; init; }

    /// <summary>Checks of the built image that <c>tinyrun test</c> runs in containers.</summary>
    public ImmutableArray<ImageTest> Tests { get; init; } = [];

    /// <summary>Where the spec was made (the recipe line that started it), for error messages.</summary>
    public SourceLocation? Origin { get; init; }
}
