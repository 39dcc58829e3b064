using System.Buffers.Binary;
using TinyImage.Core;
using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

[Collection(ElfCollection.Name)]
public sealed class ElfReaderTests(ElfFixture fixture)
{
    [Fact]
    public void ReadsBash()
    {
        var info = ElfReader.Read("/bin/bash");
        Assert.Equal(ElfClass.Elf64, info.Class);
        Assert.Equal(ElfEndianness.LittleEndian, info.Endianness);
        Assert.Equal(ElfMachine.X86_64, info.Machine);
        Assert.Equal(ElfFileType.SharedObject, info.Type);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", info.Interpreter);
        Assert.Equal(["libtinfo.so.6", "libc.so.6"], info.Needed);
        Assert.Null(info.RPath);
        Assert.Null(info.RunPath);
        Assert.True(info.IsPie);
        Assert.False(info.IsStatic);
        Assert.Equal("amd64", info.OciArchitecture);
    }

    [Fact]
    public void ReadsSonameOfLibc()
    {
        var info = ElfReader.Read("/lib/x86_64-linux-gnu/libc.so.6");
        Assert.Equal("libc.so.6", info.Soname);
        Assert.Contains("ld-linux-x86-64.so.2", info.Needed);
        Assert.Equal(3, info.OsAbi);
    }

    [Fact]
    public void ReadsRPathAndRunPath()
    {
        Assert.Equal(fixture.P("ri/lib"), ElfReader.Read(fixture.P("ri/bin/app-rpath")).RPath);
        Assert.Null(ElfReader.Read(fixture.P("ri/bin/app-rpath")).RunPath);
        Assert.Equal(fixture.P("ri/lib"), ElfReader.Read(fixture.P("ri/bin/app-runpath")).RunPath);
        var both = ElfReader.Read(fixture.P("bt/app"));
        Assert.Equal("/nonexistent-bt", both.RunPath);
        Assert.Null(both.EffectiveRPath);
        Assert.True(ElfReader.Read(fixture.P("nd/app")).NoDefaultLib);
    }

    [Fact]
    public void StaticAndStaticPieAreStatic()
    {
        var exec = ElfReader.Read(fixture.P("st/static"));
        Assert.True(exec.IsStatic);
        Assert.Equal(ElfFileType.Executable, exec.Type);
        var pie = ElfReader.Read(fixture.P("st/static-pie"));
        Assert.True(pie.IsStatic);
        Assert.True(pie.HasDynamicSegment);
        Assert.Equal(ElfFileType.SharedObject, pie.Type);
    }

    [Fact]
    public void NonElfIsACleanError()
    {
        var path = fixture.P("ft/first/libsib.so");
        var e = Assert.Throws<TinyImageException>(() => ElfReader.Read(path));
        Assert.Equal($"{path}: not an ELF file (bad magic)", e.Message);
        Assert.False(ElfReader.IsElf(path));
        Assert.True(ElfReader.IsElf("/bin/ls"));
        Assert.False(ElfReader.IsElf(fixture.P("does-not-exist")));
        Assert.Throws<TinyImageException>(() => ElfReader.Read(fixture.P("does-not-exist")));
        Assert.Throws<TinyImageException>(() => ElfReader.Read(fixture.Dir));
    }

    [Fact]
    public void EmptyFileAndFifoAreCleanErrorsWithoutBlocking()
    {
        var empty = fixture.P("empty");
        File.WriteAllBytes(empty, []);
        Assert.Contains("not an ELF file", Assert.Throws<TinyImageException>(() => ElfReader.Read(empty)).Message);
        var fifo = fixture.P("fifo");
        if (!File.Exists(fifo)) Assert.Equal(0, ElfFixture.Run("mkfifo", [fifo]).ExitCode);
        Assert.False(ElfReader.IsElf(fifo));
        Assert.Contains("not an ELF file", Assert.Throws<TinyImageException>(() => ElfReader.Read(fifo)).Message);
        Assert.Null(ShebangReader.ReadInterpreter(fifo));
    }

    [Fact]
    public void TruncatedElfIsACleanError()
    {
        var bytes = File.ReadAllBytes("/bin/ls");
        var at2000 = fixture.P("truncated-2000");
        File.WriteAllBytes(at2000, bytes[..2000]);
        var e = Assert.Throws<TinyImageException>(() => ElfReader.Read(at2000));
        Assert.Equal($"{at2000}: truncated ELF file (dynamic segment past end of file)", e.Message);

        var at100 = fixture.P("truncated-100");
        File.WriteAllBytes(at100, bytes[..100]);
        e = Assert.Throws<TinyImageException>(() => ElfReader.Read(at100));
        Assert.Equal($"{at100}: truncated ELF file (program headers past end of file)", e.Message);

        var at10 = fixture.P("truncated-10");
        File.WriteAllBytes(at10, bytes[..10]);
        e = Assert.Throws<TinyImageException>(() => ElfReader.Read(at10));
        Assert.Contains("truncated ELF file", e.Message);
    }

    [Fact]
    public void FileWithoutSectionHeadersIsReadFromProgramHeaders()
    {
        var bytes = File.ReadAllBytes("/bin/ls");
        Array.Clear(bytes, 40, 8); // e_shoff
        Array.Clear(bytes, 58, 6); // e_shentsize, e_shnum, e_shstrndx
        var path = fixture.P("ls-nosections");
        File.WriteAllBytes(path, bytes);
        var info = ElfReader.Read(path);
        Assert.Equal(["libselinux.so.1", "libc.so.6"], info.Needed);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", info.Interpreter);
    }

    [Fact]
    public void UnterminatedInterpreterIsACleanError()
    {
        var bytes = File.ReadAllBytes("/bin/ls");
        var interp = "/lib64/ld-linux-x86-64.so.2"u8.ToArray();
        var at = bytes.AsSpan().IndexOf(interp);
        bytes[at + interp.Length] = (byte)'X'; // overwrite the NUL
        var path = fixture.P("ls-unterminated");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TinyImageException>(() => ElfReader.Read(path));
        Assert.Equal($"{path}: unterminated PT_INTERP string", e.Message);
    }

    [Fact]
    public void ProgramHeaderCountPastEndIsACleanError()
    {
        var bytes = File.ReadAllBytes("/bin/ls");
        bytes[56] = 0xFE;
        bytes[57] = 0xFF; // e_phnum = 65534
        var path = fixture.P("ls-phnum");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TinyImageException>(() => ElfReader.Read(path));
        Assert.Equal($"{path}: truncated ELF file (program headers past end of file)", e.Message);
    }

    [Fact]
    public void ManyDynamicEntriesNamingOneLongStringDoNotMultiplyMemory()
    {
        // A PT_DYNAMIC of 60,000 DT_NEEDED entries all naming the same 4,000-byte string: read as they are,
        // 1 MB of file would become 480 MB of strings. The reader stops at a bound on the strings it reads.
        var bytes = File.ReadAllBytes(fixture.P("lr/app"));
        var (offset, size) = ElfFixture.DynamicSegment(bytes);
        ulong strtab = 0, strsz = 0, rpath = 0;
        for (var at = offset; at < offset + size; at += 16)
        {
            var tag = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
            var value = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at + 8));
            if (tag == 5) strtab = value;
            if (tag == 10) strsz = value;
            if (tag == 15) rpath = value;
        }
        Assert.True(strtab != 0 && rpath != 0);
        const int needed = 60_000;
        var start = (bytes.Length + 7) / 8 * 8;
        var grown = new byte[start + (needed + 3) * 16];
        bytes.CopyTo(grown, 0);
        void Entry(int index, long tag, ulong value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(grown.AsSpan(start + index * 16), tag);
            BinaryPrimitives.WriteUInt64LittleEndian(grown.AsSpan(start + index * 16 + 8), value);
        }
        Entry(0, 5, strtab);
        Entry(1, 10, strsz);
        for (var i = 0; i < needed; i++) Entry(2 + i, 1, rpath);
        Entry(needed + 2, 0, 0);
        var phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(grown.AsSpan(32));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(grown.AsSpan(56));
        var dynamic = Enumerable.Range(0, phnum).Select(i => phoff + i * 56).Single(h => BinaryPrimitives.ReadUInt32LittleEndian(grown.AsSpan(h)) == 2);
        BinaryPrimitives.WriteUInt64LittleEndian(grown.AsSpan(dynamic + 8), (ulong)start);
        BinaryPrimitives.WriteUInt64LittleEndian(grown.AsSpan(dynamic + 32), (ulong)(needed + 3) * 16);
        var path = fixture.P("lr/many-needed");
        File.WriteAllBytes(path, grown);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Record.Exception(() => ElfReader.Read(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8L << 20, $"reading a {grown.Length}-byte file allocated {allocated} bytes");
        Assert.IsType<TinyImageException>(e);
        Assert.Contains("dynamic strings", e.Message);
    }
}
