using TinyImage.Core;
using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

/// <summary>ElfReader on hand-built files (<see cref="ElfImage"/>): both classes and byte orders, PN_XNUM, and each malformation's message.</summary>
[Collection(ElfCollection.Name)]
public sealed class ElfReaderFormatTests(ElfFixture fixture)
{
    private string Write(string name, ElfImage image) => Write(name, image.Build());

    private string Write(string name, byte[] bytes)
    {
        var path = fixture.P("img/" + name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ElfImage Full(bool is64, bool big) => new()
    {
        Is64 = is64, BigEndian = big, Machine = is64 ? ElfMachine.Ppc64 : ElfMachine.Arm, Type = 3, OsAbi = 3,
        Interpreter = "/lib/ld-test.so.1", Needed = ["liba.so.1", "libb.so.2"], Soname = "libself.so.3",
        RPath = "/r1:$ORIGIN/r2", RunPath = "/u1", Flags1 = 0x800 | 0x08000000,
    };

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void ReadsEveryFieldInBothClassesAndByteOrders(bool is64, bool big)
    {
        var path = Write($"full-{is64}-{big}", Full(is64, big).Build());
        var info = ElfReader.Read(path);
        Assert.Equal(path, info.Path);
        Assert.Equal(is64 ? ElfClass.Elf64 : ElfClass.Elf32, info.Class);
        Assert.Equal(big ? ElfEndianness.BigEndian : ElfEndianness.LittleEndian, info.Endianness);
        Assert.Equal(is64 ? ElfMachine.Ppc64 : ElfMachine.Arm, info.Machine);
        Assert.Equal(ElfFileType.SharedObject, info.Type);
        Assert.Equal(3, info.OsAbi);
        Assert.Equal("/lib/ld-test.so.1", info.Interpreter);
        Assert.Equal(["liba.so.1", "libb.so.2"], info.Needed);
        Assert.Equal("libself.so.3", info.Soname);
        Assert.Equal("/r1:$ORIGIN/r2", info.RPath);
        Assert.Equal("/u1", info.RunPath);
        Assert.True(info.NoDefaultLib);
        Assert.True(info.IsPie);
        Assert.True(info.HasDynamicSegment);
        Assert.False(info.IsStatic);
    }

    [Fact]
    public void FlagsAndTablesAreReadOnlyWhenPresent()
    {
        var bare = ElfReader.Read(Write("bare", new ElfImage { Type = 2, Dynamic = false }.Build()));
        Assert.Equal(ElfFileType.Executable, bare.Type);
        Assert.False(bare.HasDynamicSegment);
        Assert.True(bare.IsStatic);
        Assert.Null(bare.Interpreter);

        // Only DT_FLAGS_1 NODEFLIB, no strings: no DT_STRTAB is needed.
        var flags = ElfReader.Read(Write("flags", new ElfImage { Flags1 = 0x800 }.Build()));
        Assert.True(flags.NoDefaultLib);
        Assert.False(flags.IsPie);
        Assert.Empty(flags.Needed);
        Assert.Null(flags.Soname);

        // Without DT_STRSZ the table runs to the end of the file.
        var noSize = ElfReader.Read(Write("nosize", (Full(true, false) with { WriteStringTableSize = false }).Build()));
        Assert.Equal(["liba.so.1", "libb.so.2"], noSize.Needed);
        Assert.Equal("/u1", noSize.RunPath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExtendedProgramHeaderCountIsReadFromSectionHeaderZero(bool is64)
    {
        var info = ElfReader.Read(Write($"xnum-{is64}", (Full(is64, !is64) with { ExtendedPhnum = true }).Build()));
        Assert.Equal("/lib/ld-test.so.1", info.Interpreter);
        Assert.Equal(["liba.so.1", "libb.so.2"], info.Needed);
    }

    [Fact]
    public void EachMalformationIsOneLineNamingTheFile()
    {
        var good = Full(true, false).Build();
        var cases = new List<(string Name, byte[] Bytes, string Message)>
        {
            ("short-ident", good[..10], "truncated ELF file (identification)"),
            ("short-header", good[..40], "truncated ELF file (ELF header)"),
            ("class", With(good, (4, 3)), "invalid ELF class 3"),
            ("data", With(good, (5, 0)), "invalid ELF data encoding 0"),
            ("version", With(good, (6, 2)), "unsupported ELF version 2"),
            ("phentsize", With(good, (54, 40)), "invalid program header entry size 40"),
            ("xnum-no-sections", With(good, (56, 0xFF), (57, 0xFF)), "invalid program header count (PN_XNUM without section header 0)"),
        };
        var layout = ElfLayout.Of(good);
        // DT_STRTAB (the first dynamic entry) turned into DT_DEBUG: strings but no table.
        cases.Add(("no-strtab", With(good, (layout.DynamicEntries[0], 21)), "dynamic segment has strings but no DT_STRTAB"));
        // DT_STRTAB pointing below the PT_LOAD.
        cases.Add(("strtab-outside", With(good, (layout.DynamicEntries[0] + 10, 0)), "is outside every PT_LOAD segment"));
        // DT_NEEDED (third entry, after STRTAB and STRSZ) pointing past the table.
        cases.Add(("needed-past", With(good, (layout.DynamicEntries[2] + 8, 0xF0)), "past end of dynamic string table"));
        // The string table's NULs overwritten: the last string runs into the dynamic entries' zero padding,
        // so overwrite everything up to them.
        var unterminated = (byte[])good.Clone();
        for (var i = layout.Strings.Offset; i < layout.Strings.Offset + layout.Strings.Size; i++) unterminated[i] = (byte)'x';
        cases.Add(("unterminated", unterminated, "unterminated string in dynamic string table"));
        cases.Add(("interp-empty", Write0(good, layout.Interpreter.Offset), "empty PT_INTERP string"));

        foreach (var (name, bytes, message) in cases)
        {
            var path = Write("bad-" + name, bytes);
            var e = Assert.Throws<TinyImageException>(() => ElfReader.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(message, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    private static byte[] With(byte[] bytes, params (int At, byte Value)[] changes)
    {
        var copy = (byte[])bytes.Clone();
        foreach (var (at, value) in changes) copy[at] = value;
        return copy;
    }

    private static byte[] Write0(byte[] bytes, int at) => With(bytes, (at, 0));

    [Theory]
    [InlineData(ElfMachine.X86_64, ElfClass.Elf64, ElfEndianness.LittleEndian, "amd64")]
    [InlineData(ElfMachine.AArch64, ElfClass.Elf64, ElfEndianness.LittleEndian, "arm64")]
    [InlineData(ElfMachine.I386, ElfClass.Elf32, ElfEndianness.LittleEndian, "386")]
    [InlineData(ElfMachine.Arm, ElfClass.Elf32, ElfEndianness.LittleEndian, "arm")]
    [InlineData(ElfMachine.Ppc64, ElfClass.Elf64, ElfEndianness.LittleEndian, "ppc64le")]
    [InlineData(ElfMachine.Ppc64, ElfClass.Elf64, ElfEndianness.BigEndian, "ppc64")]
    [InlineData(ElfMachine.S390, ElfClass.Elf64, ElfEndianness.BigEndian, "s390x")]
    [InlineData(ElfMachine.S390, ElfClass.Elf32, ElfEndianness.BigEndian, "unknown")]
    [InlineData(ElfMachine.RiscV, ElfClass.Elf64, ElfEndianness.LittleEndian, "riscv64")]
    [InlineData(ElfMachine.RiscV, ElfClass.Elf32, ElfEndianness.LittleEndian, "unknown")]
    [InlineData((ushort)9999, ElfClass.Elf64, ElfEndianness.LittleEndian, "unknown")]
    public void OciArchitectureIsTheGoArchName(ushort machine, ElfClass cls, ElfEndianness data, string expected)
    {
        var info = ElfReader.Read(Write($"arch-{machine}-{cls}-{data}", new ElfImage { Machine = machine, Is64 = cls == ElfClass.Elf64, BigEndian = data == ElfEndianness.BigEndian }));
        Assert.Equal(expected, info.OciArchitecture);
    }
}
