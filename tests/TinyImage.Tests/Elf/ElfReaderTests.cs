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
    public async Task FuzzedBinariesReadOrFailCleanly()
    {
        var original = File.ReadAllBytes("/bin/ls");
        var (dynOffset, dynSize) = ElfFixture.DynamicSegment(original);
        var random = new Random(20240611);
        var path = fixture.P("fuzz.bin");
        var failures = 0;
        for (var i = 0; i < 2000; i++)
        {
            byte[] bytes;
            switch (i % 4)
            {
                case 0:
                    bytes = original[..random.Next(0, original.Length)];
                    break;
                case 1:
                    bytes = (byte[])original.Clone();
                    for (var k = random.Next(1, 9); k > 0; k--) bytes[random.Next(0, 1024)] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes = (byte[])original.Clone();
                    for (var k = random.Next(1, 9); k > 0; k--) bytes[dynOffset + random.Next(0, dynSize)] = (byte)random.Next(256);
                    break;
                default:
                    bytes = (byte[])original.Clone();
                    var field = random.Next(0, 64 + 13 * 56 - 8);
                    for (var k = 0; k < 8; k++) bytes[field + k] = 0xFF;
                    break;
            }
            File.WriteAllBytes(path, bytes);
            var read = Task.Run(() =>
            {
                try { ElfReader.Read(path); return true; }
                catch (TinyImageException) { return false; }
            });
            if (!await read.WaitAsync(TimeSpan.FromSeconds(5))) failures++;
        }
        Assert.InRange(failures, 1, 1999);
    }
}
