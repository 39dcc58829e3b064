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
}
