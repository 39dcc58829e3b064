using System.Runtime.InteropServices;

namespace TinyImage.Core.Spec;

/// <summary>
/// An OCI platform, such as <c>linux/amd64</c> or <c>linux/arm/v7</c>: what an image's config and index entry
/// declare, chosen by the recipe or <c>--platform</c>, never guessed from the files.
/// </summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    private static readonly string[] KnownArchitectures = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"];

    public static Platform LinuxAmd64 { get; } = new("linux", "amd64");

    public static Platform LinuxArm64 { get; } = new("linux", "arm64");

    /// <summary>The platform of the machine TinyImage runs on.</summary>
    public static Platform Host() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => LinuxArm64,
        System.Runtime.InteropServices.Architecture.Arm => new("linux", "arm", "v7"),
        System.Runtime.InteropServices.Architecture.X86 => new("linux", "386"),
        System.Runtime.InteropServices.Architecture.S390x => new("linux", "s390x"),
        System.Runtime.InteropServices.Architecture.Ppc64le => new("linux", "ppc64le"),
        System.Runtime.InteropServices.Architecture.RiscV64 => new("linux", "riscv64"),
        _ => LinuxAmd64,
    };

    /// <summary>Parses <c>os/arch[/variant]</c>, e.g. <c>linux/arm64</c>.</summary>
    /// <exception cref="TinyImageException">Not a platform TinyImage builds for.</exception>
    public static Platform Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts[0] != "linux" || !KnownArchitectures.Contains(parts[1]) || parts.Any(p => p.Length == 0))
            throw new TinyImageException($"'{text}' is not a platform; write linux/ARCH with ARCH one of {string.Join(", ", KnownArchitectures)} (e.g. linux/arm64, linux/arm/v7)");
        var variant = parts.Length == 3 ? parts[2] : null;
        return new Platform(parts[0], parts[1], variant == "v8" && parts[1] == "arm64" ? null : variant);
    }

    /// <summary>Debian's name for the architecture: amd64, arm64, armhf, i386, ppc64el, s390x, riscv64.</summary>
    public string DebianArchitecture => Architecture switch
    {
        "arm" => Variant is "v5" or "v6" ? "armel" : "armhf",
        "386" => "i386",
        "ppc64le" => "ppc64el",
        _ => Architecture,
    };

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
