using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

public sealed class DependencyTreePrinterTests
{
    private static readonly DependencyNode[] Roots =
    [
        new()
        {
            Name = "/app", Path = "/app", Rule = SearchRule.Executable, Interpreter = "/lib/ld.so",
            Children =
            [
                new() { Name = "liba.so", Path = "/l/liba.so", Rule = SearchRule.RunPath, Children = [new() { Name = "libb.so", Path = "/l/libb.so", Rule = SearchRule.RPath }] },
                new() { Name = "libb.so", Path = "/l/libb.so", Rule = SearchRule.RPath, IsRepeat = true },
            ],
        },
        new() { Name = "/st", Path = "/st", Rule = SearchRule.Executable, IsStatic = true },
    ];

    [Fact]
    public void PrintsOneLinePerLibraryIndentedByLevelWithNotes()
    {
        Assert.Equal("/app (interpreter => /lib/ld.so)\n    liba.so => /l/liba.so\n        libb.so => /l/libb.so\n/st (static)\n",
            DependencyTreePrinter.Print(Roots));
        Assert.Equal(
            "/app (app note) (interpreter => /lib/ld.so)\n    liba.so => /l/liba.so (1 KiB)\n        libb.so => /l/libb.so\n" +
            "    libb.so => /l/libb.so (already loaded)\n/st (static)\n",
            DependencyTreePrinter.Print(Roots, showRepeats: true, annotate: p => p switch { "/app" => "app note", "/l/liba.so" => "1 KiB", _ => null }));
    }
}
