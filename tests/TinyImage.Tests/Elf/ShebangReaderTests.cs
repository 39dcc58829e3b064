using TinyImage.Core;
using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

[Collection(ElfCollection.Name)]
public sealed class ShebangReaderTests(ElfFixture fixture)
{
    private Shebang? Read(string text)
    {
        var path = fixture.P("script-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        return ShebangReader.ReadInterpreter(path);
    }

    [Fact]
    public void ReadsInterpreterAndArgument()
    {
        Assert.Equal(new Shebang("/bin/sh", null), Read("#!/bin/sh\necho hi\n"));
        Assert.Equal(new Shebang("/usr/bin/env", "python3 -u"), Read("#! /usr/bin/env python3 -u  \r\nprint()\n"));
        Assert.Equal(new Shebang("/bin/bash", null), Read("#!\t/bin/bash"));
        Assert.Null(Read("echo hi\n"));
        Assert.Null(ShebangReader.ReadInterpreter("/bin/ls"));
        Assert.Throws<TinyImageException>(() => Read("#!\n"));
        Assert.Throws<TinyImageException>(() => Read("#!/" + new string('x', 300)));
    }

    [Fact]
    public void NeedsBothHashAndBang()
    {
        Assert.Null(Read("#/bin/sh\n"));
        Assert.Null(Read("!!/bin/sh\n"));
        Assert.Null(Read("#"));
    }

    [Fact]
    public void ABareHashBangNamesNoInterpreter()
    {
        var path = fixture.P("script-bare-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "#!");
        var e = Assert.Throws<TinyImageException>(() => ShebangReader.ReadInterpreter(path));
        Assert.Equal($"{path}: the '#!' line names no interpreter", e.Message);
    }

    [Fact]
    public void ALongFileWithAShortFirstLineIsFine()
    {
        // More than 256 bytes, so the whole buffer is read: the line ends within it, or the interpreter does and the
        // argument is cut at the buffer's end, as the kernel does.
        Assert.Equal(new Shebang("/bin/sh", null), Read("#!/bin/sh\n" + new string('x', 300)));
        Assert.Equal(new Shebang("/bin/sh", new string('x', 256 - "#!/bin/sh ".Length)), Read("#!/bin/sh " + new string('x', 300)));
    }

    [Fact]
    public void AnInterpreterLongerThanTheBufferIsRefused()
    {
        var path = fixture.P("script-long-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "#!/" + new string('x', 300));
        var e = Assert.Throws<TinyImageException>(() => ShebangReader.ReadInterpreter(path));
        Assert.Equal($"{path}: the '#!' line is longer than 256 bytes; Linux cannot run it", e.Message);
    }
}
