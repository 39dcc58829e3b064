using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;
using TinyImage.Runner;
using TinyImage.Tests.Unit;

namespace TinyImage.Tests.Needs;

/// <summary>Errors that teach: a misspelt DSL member gets "did you mean", an AddBinary path that is elsewhere says where.</summary>
public sealed class TeachingErrorTests
{
    [Fact]
    public void A_misspelt_dsl_member_gets_did_you_mean()
    {
        using var dir = new TempDirectory();
        dir.Write("typo.tiny.csx", "From.Scratch()\n    .AddBinary(\"/usr/bin/true\")\n    .WithLib();\nFrom.Scratc();\n");
        var result = Run.Tinyrun(dir.Path, "typo.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("typo.tiny.csx(3,6): error CS1061: 'ImageBuilder' does not contain a definition for 'WithLib'; did you mean `WithLibs`?\n", result.Stderr);
        Assert.Contains("typo.tiny.csx(4,6): error CS1061: 'ImageFactory' does not contain a definition for 'Scratc'; did you mean `Scratch`?\n", result.Stderr);
    }

    [Fact]
    public void Nearest_names_are_within_a_third_of_the_typed_length()
    {
        string[] members = ["WithLibs", "WithLibgcc", "WithLocale", "AddBinary", "AddLibrary"];
        Assert.Equal(["WithLibs"], MemberSuggestion.Nearest("WithLib", members));
        Assert.Equal(["AddBinary"], MemberSuggestion.Nearest("addbinary", members));
        Assert.Empty(MemberSuggestion.Nearest("Frobnicate", members));
    }

    [Fact]
    public void An_AddBinary_path_that_is_in_another_bin_directory_says_where()
    {
        using var root = new TempRoot();
        root.File("usr/sbin/nginx", "#!/bin/sh\n");
        var error = Assert.Throws<TinyImageException>(() => new TreeAssembler(new ResolverOptions { Files = new HostFiles(root.Path) })
            .Assemble(new ImageSpec { Steps = [new AddBinaryStep("/usr/bin/nginx", "/usr/bin/nginx")] }));
        Assert.Equal($"AddBinary: '/usr/bin/nginx' in root '{root.Path}' does not exist, but /usr/sbin/nginx does; use .AddBinary(\"/usr/sbin/nginx\")", error.Message);

        Assert.Null(ProgramLocations.Elsewhere(new HostFiles(root.Path), "/usr/bin/apache2", null));
    }

    [Fact]
    public void An_AddBinary_name_on_the_hosts_PATH_says_where()
    {
        using var dir = new TempDirectory();
        dir.Write("tools/mytool", "#!/bin/sh\n");
        Assert.Equal(dir.Combine("tools/mytool"), ProgramLocations.Elsewhere(new HostFiles("/"), "/usr/bin/mytool", $"/nonexistent:{dir.Combine("tools")}"));
    }
}
