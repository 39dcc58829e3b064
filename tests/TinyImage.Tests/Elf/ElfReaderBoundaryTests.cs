using System.Buffers.Binary;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Each bound ElfReader checks, on hand-built 64-bit little-endian files (<see cref="ElfImage"/>) patched to sit
/// exactly on it or one past it, and each way a path is not an ELF file. Paired cases (one accepted, one refused) pin
/// the comparison, not only the message.
/// </summary>
public sealed class ElfReaderBoundaryTests : IDisposable
{
    private const int Ph64 = 56, DynEntry = 16;
    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(byte[] bytes)
    {
        var path = _dir.Combine(Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private ElfInfo Read(byte[] bytes) => ElfReader.Read(Write(bytes));

    /// <summary>The message for <paramref name="bytes"/>, without the file name in front.</summary>
    private string Error(byte[] bytes)
    {
        var path = Write(bytes);
        var message = Assert.Throws<TinyImageException>(() => ElfReader.Read(path)).Message;
        Assert.StartsWith(path + ": ", message);
        return message[(path.Length + 2)..];
    }

    private static byte[] Patch(byte[] bytes, int at, int width, ulong value)
    {
        var copy = (byte[])bytes.Clone();
        var span = copy.AsSpan(at, width);
        switch (width)
        {
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(span, value); break;
        }
        return copy;
    }

    private static ulong Get(byte[] bytes, int at) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));

    /// <summary>The file offset of the program header of type <paramref name="type"/>.</summary>
    private static int Header(byte[] bytes, uint type) =>
        Enumerable.Range(0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(56))).Select(i => 64 + i * Ph64)
            .Single(h => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(h)) == type);

    /// <summary>Sets the file size of the program header of type <paramref name="type"/>.</summary>
    private static byte[] SegmentSize(byte[] bytes, uint type, ulong size) => Patch(bytes, Header(bytes, type) + 32, 8, size);

    private static byte[] SegmentOffset(byte[] bytes, uint type, ulong offset) => Patch(bytes, Header(bytes, type) + 8, 8, offset);

    private static int Entry(byte[] bytes, long tag) => ElfLayout.Of(bytes).DynamicEntries.First(at => (long)Get(bytes, at) == tag);

    private static readonly byte[] Library = new ElfImage { Interpreter = "/lib/ld.so", Needed = ["liba.so"], Soname = "libs.so" }.Build();

    [Fact]
    public void APathThatIsNoElfFileSaysWhatItIs()
    {
        var missing = _dir.Combine("missing");
        Assert.Equal($"{missing}: no such file", Assert.Throws<TinyImageException>(() => ElfReader.Read(missing)).Message);
        Assert.Equal($"{_dir.Path}: is a directory, not an ELF file", Assert.Throws<TinyImageException>(() => ElfReader.Read(_dir.Path)).Message);
        var empty = Write([]);
        Assert.Equal($"{empty}: not an ELF file (empty, or not a regular file)", Assert.Throws<TinyImageException>(() => ElfReader.Read(empty)).Message);
        var dangling = _dir.Combine("dangling");
        File.CreateSymbolicLink(dangling, missing);
        Assert.Equal($"{dangling}: no such file", Assert.Throws<TinyImageException>(() => ElfReader.Read(dangling)).Message);

        // A symlink to an ELF file is followed (the info keeps the path asked for).
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, Write(Library));
        Assert.Equal((link, "libs.so"), (ElfReader.Read(link).Path, ElfReader.Read(link).Soname));

        Assert.True(ElfReader.IsElf(link));
        foreach (var notElf in new[] { missing, _dir.Path, empty, dangling, Write([0x7F, (byte)'E', (byte)'L']), Write("#!/bin/sh\n"u8.ToArray()) })
            Assert.False(ElfReader.IsElf(notElf), notElf);
    }

    [Fact]
    public void TheMagicNeedsAllFourBytes()
    {
        for (var i = 0; i < 4; i++)
        {
            var bytes = (byte[])Library.Clone();
            bytes[i] = (byte)'X';
            Assert.Equal("not an ELF file (bad magic)", Error(bytes));
            Assert.False(ElfReader.IsElf(Write(bytes)));
        }
    }

    [Fact]
    public void TheIdentificationAndHeaderMustBeWhole()
    {
        Assert.Equal("truncated ELF file (identification)", Error(Library[..4]));
        Assert.Equal("truncated ELF file (identification)", Error(Library[..15]));
        Assert.Equal("truncated ELF file (ELF header)", Error(Library[..16]));
        // 60 bytes: enough for a 32-bit header, not for a 64-bit one.
        Assert.Equal("truncated ELF file (ELF header)", Error(Library[..60]));
        // A 32-bit header alone (52 bytes, no program headers) is a whole file.
        var header32 = Patch(new ElfImage { Is64 = false, Dynamic = false }.Build(), 44, 2, 0)[..52];
        Assert.Equal((ElfClass.Elf32, ElfFileType.SharedObject), (Read(header32).Class, Read(header32).Type));
    }

    [Fact]
    public void ExtendedProgramHeaderCountNeedsAWholeSectionHeaderField()
    {
        var xnum = new ElfImage { Interpreter = "/lib/ld.so", ExtendedPhnum = true }.Build();
        var shoff = (int)Get(xnum, 40);
        // e_shentsize must reach past sh_info (offset 44, 4 bytes): 48 is enough, 47 is not.
        Assert.Equal("/lib/ld.so", Read(Patch(xnum, 58, 2, 48)).Interpreter);
        Assert.Equal("invalid program header count (PN_XNUM without section header 0)", Error(Patch(xnum, 58, 2, 47)));
        Assert.Equal("truncated ELF file (section header 0 past end of file)", Error(xnum[..(shoff + 47)]));
        // The count is an int: int.MaxValue is a count (whose headers are not in the file), one more is not.
        Assert.Equal("truncated ELF file (program headers past end of file)", Error(Patch(xnum, shoff + 44, 4, int.MaxValue)));
        Assert.Equal("invalid program header count", Error(Patch(xnum, shoff + 44, 4, (ulong)int.MaxValue + 1)));
    }

    [Fact]
    public void ProgramHeadersMustFitWholeEntries()
    {
        // One PT_LOAD, 56 bytes after the header; with e_phentsize 64 the entry's last 8 bytes are past the end.
        var bare = new ElfImage { Dynamic = false }.Build()[..(64 + Ph64)];
        Assert.Empty(Read(bare).Needed);
        Assert.Equal("truncated ELF file (program headers past end of file)", Error(Patch(bare, 54, 2, 64)));
    }

    [Fact]
    public void TheInterpreterStringIsBounded()
    {
        var longest = "/" + new string('l', 4094);
        Assert.Equal(longest, Read(new ElfImage { Interpreter = longest }.Build()).Interpreter);
        Assert.Equal("invalid PT_INTERP size 4097", Error(new ElfImage { Interpreter = longest + "l" }.Build()));
        Assert.Equal("invalid PT_INTERP size 0", Error(SegmentSize(Library, PtInterp, 0)));
        // At the very end of the file with size 0, it fits (and is then empty); past the end it does not.
        Assert.Equal("invalid PT_INTERP size 0", Error(SegmentSize(SegmentOffset(Library, PtInterp, (ulong)Library.Length), PtInterp, 0)));
        Assert.Equal("truncated ELF file (PT_INTERP past end of file)", Error(SegmentOffset(Library, PtInterp, (ulong)Library.Length + 1)));
        Assert.Equal("truncated ELF file (PT_INTERP past end of file)", Error(SegmentSize(Library, PtInterp, 5000)));
    }

    [Fact]
    public void TheDynamicSegmentIsBoundedAndEndsAtDtNull()
    {
        var dynamicHeader = Header(Library, PtDynamic);
        var size = Get(Library, dynamicHeader + 32);
        Assert.Equal((ulong)Library.Length, Get(Library, dynamicHeader + 8) + size);   // it ends the file
        Assert.Equal("truncated ELF file (dynamic segment past end of file)", Error(SegmentSize(Library, PtDynamic, size + 8)));
        // Empty at the very end of the file: no entries, nothing read.
        var atEnd = Read(SegmentSize(SegmentOffset(Library, PtDynamic, (ulong)Library.Length), PtDynamic, 0));
        Assert.Equal((true, 0, null), (atEnd.HasDynamicSegment, atEnd.Needed.Count, atEnd.Soname));
        // Without its DT_NULL the entries end with the segment.
        Assert.Equal(["liba.so"], Read(SegmentSize(Library, PtDynamic, size - DynEntry)).Needed);
        // An entry after DT_NULL is not read.
        var extra = SegmentSize([.. Library, .. new byte[DynEntry]], PtDynamic, size + DynEntry);
        extra = Patch(Patch(extra, Library.Length, 8, 1), Library.Length + 8, 8, 1);
        Assert.Equal(["liba.so"], Read(extra).Needed);
    }

    [Fact]
    public void TheDynamicSegmentHoldsAtMost65536Entries()
    {
        var dynamicOffset = (int)Get(Library, Header(Library, PtDynamic) + 8);
        byte[] WithEntries(int count) => SegmentSize([.. Library, .. new byte[dynamicOffset + count * DynEntry - Library.Length]], PtDynamic, (ulong)(count * DynEntry));
        Assert.Equal(["liba.so"], Read(WithEntries(65536)).Needed);
        Assert.Equal("dynamic segment too large (65537 entries)", Error(WithEntries(65537)));
    }

    [Fact]
    public void NoStringsNeedNoStringTable()
    {
        // Only DT_FLAGS_1, and DT_STRTAB turned into DT_DEBUG: nothing to look up, so no table is needed.
        var flags = new ElfImage { Flags1 = 0x800 }.Build();
        var info = Read(Patch(flags, Entry(flags, 5), 8, 21));
        Assert.True(info.NoDefaultLib);
        Assert.Null(info.Soname);
    }

    [Fact]
    public void TheStringTableMustLieInAPtLoad()
    {
        var load = Header(Library, PtLoad);
        var strtab = Get(Library, Entry(Library, 5) + 8);
        var strOffset = strtab - ElfImage.LoadAddress;
        var outside = $"DT_STRTAB address 0x{strtab:x} is outside every PT_LOAD segment";
        // The PT_LOAD made a PT_NOTE: no other segment counts.
        Assert.Equal(outside, Error(Patch(Library, load, 4, 4)));
        // A PT_LOAD that starts exactly at the table holds it; one that ends exactly there does not.
        var startsAtTable = Patch(Patch(Patch(Library, load + 8, 8, strOffset), load + 16, 8, strtab), load + 32, 8, (ulong)Library.Length - strOffset);
        Assert.Equal("libs.so", Read(startsAtTable).Soname);
        Assert.Equal(outside, Error(Patch(Library, load + 32, 8, strOffset)));
    }

    [Fact]
    public void TheStringTableMustLieInTheFile()
    {
        var past = "truncated ELF file (dynamic string table past end of file)";
        // DT_STRTAB at the file's end (the PT_LOAD claims more than the file has), no DT_STRSZ.
        var noSize = new ElfImage { Needed = ["liba.so"], WriteStringTableSize = false }.Build();
        var atEnd = Patch(Patch(noSize, Header(noSize, PtLoad) + 32, 8, 0x100000), Entry(noSize, 5) + 8, 8, ElfImage.LoadAddress + (ulong)noSize.Length);
        Assert.Equal(past, Error(atEnd));
        // DT_STRSZ larger than what follows the table.
        Assert.Equal(past, Error(Patch(Library, Entry(Library, 10) + 8, 8, (ulong)Library.Length)));
    }

    [Fact]
    public void StringsAreLookedUpWithinTheTable()
    {
        // The first string (the SONAME here, at offset 1) with DT_STRSZ 1: just past the table.
        var soname = new ElfImage { Soname = "libs.so" }.Build();
        Assert.Equal("string offset 1 past end of dynamic string table", Error(Patch(soname, Entry(soname, 10) + 8, 8, 1)));
        Assert.Equal("libs.so", Read(Patch(soname, Entry(soname, 10) + 8, 8, (ulong)(2 + "libs.so".Length))).Soname);
        // An empty string is a string.
        Assert.Equal("", Read(new ElfImage { Soname = "" }.Build()).Soname);
    }

    [Fact]
    public void TheDynamicStringsAddUpToAtMostOneMebibyte()
    {
        // 16384 names of 63 bytes and a NUL: exactly 1 MiB, read.
        var exact = new ElfImage { Needed = Enumerable.Repeat(new string('n', 63), 16384).ToList() }.Build();
        Assert.Equal(16384, Read(exact).Needed.Count);
        // 65000 names of 16 bytes and a NUL: 1,105,000 bytes, refused.
        var over = new ElfImage { Needed = Enumerable.Repeat(new string('n', 16), 65000).ToList() }.Build();
        Assert.Equal("its dynamic strings (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH) add up to more than 1 MiB, which no loadable file has", Error(over));
    }
}
