using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>What glibc's ld.so has built in for one machine: default directories, $LIB, $PLATFORM and the subdirectories it probes.</summary>
internal sealed record LoaderDefaults(IReadOnlyList<string> Directories, string? Lib, string? Platform, IReadOnlyList<string> Subdirectories)
{
    /// <summary>
    /// Derives the defaults for <paramref name="executable"/>'s machine. A root with the Debian
    /// multiarch directory (/usr/lib/&lt;triplet&gt;) gets Debian's list (ld.so --help: /lib/T,
    /// /usr/lib/T, /lib, /usr/lib); otherwise a 64-bit root gets /lib64, /usr/lib64 (Fedora, SUSE)
    /// and a 32-bit one /lib, /usr/lib. Every value set in <paramref name="options"/> wins.
    /// </summary>
    public static LoaderDefaults For(ElfInfo executable, ResolverOptions options)
    {
        var triplet = Triplet(executable);
        var multiarch = triplet is not null &&
            (IsDirectory(options.Files, "/usr/lib/" + triplet) || IsDirectory(options.Files, "/lib/" + triplet));
        var lib64 = !multiarch && executable.Class == ElfClass.Elf64;
        IReadOnlyList<string> directories = multiarch ? ["/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"]
            : lib64 ? ["/lib64", "/usr/lib64"]
            : ["/lib", "/usr/lib"];
        var lib = multiarch ? "lib/" + triplet : lib64 ? "lib64" : "lib";
        var platform = executable.Machine switch
        {
            ElfMachine.X86_64 when executable.Class == ElfClass.Elf64 => "x86_64",
            ElfMachine.I386 => "i686",
            ElfMachine.AArch64 => "aarch64",
            _ => null,
        };
        return new LoaderDefaults(
            options.DefaultDirectories ?? directories,
            options.Lib ?? lib,
            options.Platform ?? platform,
            options.SearchSubdirectories ?? DefaultSubdirectories(executable, options.Platform ?? platform));
    }

    private static string? Triplet(ElfInfo e) => (e.Machine, e.Class) switch
    {
        (ElfMachine.X86_64, ElfClass.Elf64) => "x86_64-linux-gnu",
        (ElfMachine.X86_64, ElfClass.Elf32) => "x86_64-linux-gnux32",
        (ElfMachine.I386, _) => "i386-linux-gnu",
        (ElfMachine.AArch64, _) => "aarch64-linux-gnu",
        (ElfMachine.Arm, _) => e.Interpreter?.Contains("armhf", StringComparison.Ordinal) == true ? "arm-linux-gnueabihf" : "arm-linux-gnueabi",
        (ElfMachine.Ppc64, _) => e.Endianness == ElfEndianness.LittleEndian ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu",
        (ElfMachine.S390, ElfClass.Elf64) => "s390x-linux-gnu",
        (ElfMachine.RiscV, ElfClass.Elf64) => "riscv64-linux-gnu",
        _ => null,
    };

    private static IReadOnlyList<string> DefaultSubdirectories(ElfInfo e, string? platform)
    {
        if (e.Machine == ElfMachine.X86_64 && e.Class == ElfClass.Elf64)
            return ["glibc-hwcaps/x86-64-v4", "glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2",
                    "tls/x86_64/x86_64", "tls/x86_64", "tls", "x86_64/x86_64", "x86_64"];
        var hwcaps = e.Machine switch
        {
            ElfMachine.Ppc64 => new[] { "glibc-hwcaps/power10", "glibc-hwcaps/power9" },
            ElfMachine.S390 => ["glibc-hwcaps/z16", "glibc-hwcaps/z15", "glibc-hwcaps/z14", "glibc-hwcaps/z13"],
            _ => [],
        };
        return platform is null ? [.. hwcaps, "tls"] : [.. hwcaps, "tls/" + platform, "tls", platform];
    }

    private static bool IsDirectory(HostFiles files, string path)
    {
        try
        {
            return files.Resolve(path) is { } r && Directory.Exists(files.HostPath(r.RealPath));
        }
        catch (TinyImageException)
        {
            return false;
        }
    }
}
