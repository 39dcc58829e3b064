using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Elf;

/// <summary>
/// What ld.so has built in for each machine (default directories, $LIB, $PLATFORM, probed
/// subdirectories), as glibc's sysdeps and Debian's multiarch layout give them, in roots with and
/// without the multiarch directory.
/// </summary>
public sealed class LoaderDefaultsTests : IDisposable
{
    private readonly string _multiarchRoot = Directory.CreateTempSubdirectory("tinyimage-defaults-").FullName;
    private readonly string _flatRoot = Directory.CreateTempSubdirectory("tinyimage-defaults-").FullName;

    public LoaderDefaultsTests()
    {
        foreach (var triplet in new[] { "x86_64-linux-gnu", "x86_64-linux-gnux32", "i386-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf", "powerpc64le-linux-gnu", "s390x-linux-gnu" })
            Directory.CreateDirectory(Path.Combine(_multiarchRoot, "usr/lib", triplet));
        // riscv64 only under /lib: either directory makes the root multiarch.
        Directory.CreateDirectory(Path.Combine(_multiarchRoot, "lib/riscv64-linux-gnu"));
        Directory.CreateDirectory(Path.Combine(_flatRoot, "usr/lib"));
    }

    public void Dispose()
    {
        Directory.Delete(_multiarchRoot, recursive: true);
        Directory.Delete(_flatRoot, recursive: true);
    }

    private static ElfInfo Elf(ushort machine, ElfClass cls = ElfClass.Elf64, ElfEndianness data = ElfEndianness.LittleEndian, string? interpreter = null) => new()
    {
        Path = "/x", Class = cls, Endianness = data, Machine = machine, Type = ElfFileType.SharedObject, OsAbi = 0, Interpreter = interpreter,
    };

    private LoaderDefaults In(string root, ElfInfo elf) => LoaderDefaults.For(elf, new ResolverOptions { Files = new HostFiles(root) });

    [Fact]
    public void DebianX86_64()
    {
        var d = In(_multiarchRoot, Elf(ElfMachine.X86_64));
        Assert.Equal(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"], d.Directories);
        Assert.Equal("lib/x86_64-linux-gnu", d.Lib);
        Assert.Equal("x86_64", d.Platform);
        Assert.Equal(["glibc-hwcaps/x86-64-v4", "glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2",
            "tls/x86_64/x86_64", "tls/x86_64", "tls", "x86_64/x86_64", "x86_64"], d.Subdirectories);
    }

    [Fact]
    public void X86_64WithoutMultiarchUsesLib64()
    {
        var d = In(_flatRoot, Elf(ElfMachine.X86_64));
        Assert.Equal(["/lib64", "/usr/lib64"], d.Directories);
        Assert.Equal("lib64", d.Lib);
    }

    [Fact]
    public void ThirtyTwoBitMachines()
    {
        var i386 = In(_multiarchRoot, Elf(ElfMachine.I386, ElfClass.Elf32));
        Assert.Equal(["/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"], i386.Directories);
        Assert.Equal("i686", i386.Platform);
        Assert.Equal(["tls/i686", "tls", "i686"], i386.Subdirectories);

        // x32: the x86-64 machine in the 32-bit class, with a multiarch directory of its own.
        var x32 = In(_multiarchRoot, Elf(ElfMachine.X86_64, ElfClass.Elf32));
        Assert.Equal(["/lib/x86_64-linux-gnux32", "/usr/lib/x86_64-linux-gnux32", "/lib", "/usr/lib"], x32.Directories);

        var flat = In(_flatRoot, Elf(ElfMachine.I386, ElfClass.Elf32));
        Assert.Equal(["/lib", "/usr/lib"], flat.Directories);
        Assert.Equal("lib", flat.Lib);

        var armhf = In(_multiarchRoot, Elf(ElfMachine.Arm, ElfClass.Elf32, interpreter: "/lib/ld-linux-armhf.so.3"));
        Assert.Equal("/lib/arm-linux-gnueabihf", armhf.Directories[0]);
        var armel = In(_multiarchRoot, Elf(ElfMachine.Arm, ElfClass.Elf32, interpreter: "/lib/ld-linux.so.3"));
        Assert.Equal(["/lib", "/usr/lib"], armel.Directories); // no /usr/lib/arm-linux-gnueabi in this root
    }

    [Fact]
    public void OtherSixtyFourBitMachines()
    {
        var arm64 = In(_multiarchRoot, Elf(ElfMachine.AArch64));
        Assert.Equal("/usr/lib/aarch64-linux-gnu", arm64.Directories[1]);
        Assert.Equal("aarch64", arm64.Platform);
        Assert.Equal(["tls/aarch64", "tls", "aarch64"], arm64.Subdirectories);

        var ppc64le = In(_multiarchRoot, Elf(ElfMachine.Ppc64));
        Assert.Equal("lib/powerpc64le-linux-gnu", ppc64le.Lib);
        Assert.Equal(["glibc-hwcaps/power10", "glibc-hwcaps/power9", "tls"], ppc64le.Subdirectories);
        var ppc64 = In(_multiarchRoot, Elf(ElfMachine.Ppc64, data: ElfEndianness.BigEndian));
        Assert.Equal(["/lib64", "/usr/lib64"], ppc64.Directories); // powerpc64-linux-gnu is not in this root

        var s390x = In(_multiarchRoot, Elf(ElfMachine.S390));
        Assert.Equal("/lib/s390x-linux-gnu", s390x.Directories[0]);
        Assert.Equal(["glibc-hwcaps/z16", "glibc-hwcaps/z15", "glibc-hwcaps/z14", "glibc-hwcaps/z13", "tls"], s390x.Subdirectories);

        var riscv = In(_multiarchRoot, Elf(ElfMachine.RiscV));
        Assert.Equal(["/lib/riscv64-linux-gnu", "/usr/lib/riscv64-linux-gnu", "/lib", "/usr/lib"], riscv.Directories);
        Assert.Null(riscv.Platform);

        var unknown = In(_multiarchRoot, Elf(9999));
        Assert.Equal(["/lib64", "/usr/lib64"], unknown.Directories);
        Assert.Null(unknown.Platform);
    }

    [Fact]
    public void OptionsWinOverWhatIsDerived()
    {
        var options = new ResolverOptions
        {
            Files = new HostFiles(_multiarchRoot), DefaultDirectories = ["/opt/lib"], Lib = "mylib", Platform = "myplat",
        };
        var d = LoaderDefaults.For(Elf(ElfMachine.AArch64), options);
        Assert.Equal(["/opt/lib"], d.Directories);
        Assert.Equal("mylib", d.Lib);
        Assert.Equal("myplat", d.Platform);
        Assert.Equal(["tls/myplat", "tls", "myplat"], d.Subdirectories);
        var sub = LoaderDefaults.For(Elf(ElfMachine.X86_64), options with { SearchSubdirectories = ["only"] });
        Assert.Equal(["only"], sub.Subdirectories);
    }

    [Fact]
    public void ALinkLoopWhereTheMultiarchDirectoryWouldBeIsNotOne()
    {
        var root = Directory.CreateTempSubdirectory("tinyimage-defaults-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "usr/lib"));
            File.CreateSymbolicLink(Path.Combine(root, "usr/lib/x86_64-linux-gnu"), "x86_64-linux-gnu");
            Assert.Equal(["/lib64", "/usr/lib64"], In(root, Elf(ElfMachine.X86_64)).Directories);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
