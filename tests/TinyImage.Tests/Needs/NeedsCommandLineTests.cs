using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary>tinyrun with runtime needs: hints on stderr, <c>--strict</c> and <c>.Strict()</c> failing the build, <c>deps --needs</c>.</summary>
public sealed class NeedsCommandLineTests(NeedsProgram program) : IClassFixture<NeedsProgram>
{
    [Fact]
    public void A_build_prints_hints_on_stderr_and_strict_fails_it_with_one_line()
    {
        using var dir = new TempDirectory();
        dir.Write("prog.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().Entrypoint(\"/app/prog\");\n");

        var built = Run.Tinyrun(dir.Path, "prog.tiny.csx");
        Assert.True(built.ExitCode == 0, built.ToString());
        Assert.Contains("hint: /app/prog imports getpwnam: add .WithUser(...) or .WithPasswd()\n", built.Stderr);
        Assert.DoesNotContain("hint:", built.Stdout);
        var quiet = Run.Tinyrun(dir.Path, "prog.tiny.csx", "-q", "-o", "quiet.tar"); // results and errors only
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("", quiet.Stderr);

        var strict = Run.Tinyrun(dir.Path, "prog.tiny.csx", "--strict", "-o", "strict.tar");
        Assert.Equal(1, strict.ExitCode);
        var line = Assert.Single(strict.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.StartsWith("tinyrun: prog.tiny.csx(1): unmet runtime needs (strict): /app/prog imports getpwnam", line);
        Assert.False(File.Exists(dir.Combine("strict.tar")));
        var subcommand = Run.Tinyrun(dir.Path, "build", "prog.tiny.csx", "--strict", "-o", "strict.tar");
        Assert.Equal(1, subcommand.ExitCode);
        Assert.Contains("unmet runtime needs (strict)", subcommand.Stderr);

        dir.Write("strict.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().Strict();\n");
        var inRecipe = Run.Tinyrun(dir.Path, "strict.tiny.csx");
        Assert.Equal(1, inRecipe.ExitCode);
        Assert.Contains("unmet runtime needs (strict): /app/prog imports getpwnam", inRecipe.Stderr);

        dir.Write("met.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().WithRuntimeNeeds().Strict();\n");
        var met = Run.Tinyrun(dir.Path, "met.tiny.csx", "--strict");
        Assert.True(met.ExitCode == 0, met.ToString());
        Assert.DoesNotContain("hint:", met.Stderr);
    }

    [Fact]
    public void Deps_needs_lists_each_need_of_a_program_and_of_a_recipe()
    {
        using var dir = new TempDirectory();
        var files = Run.Tinyrun(dir.Path, "deps", "--needs", program.Path);
        Assert.True(files.ExitCode == 0, files.ToString());
        Assert.Contains($"{program.Path} imports getpwnam: needs passwd and group entries; missing: add .WithUser(...) or .WithPasswd()\n", files.Stdout);
        Assert.Contains($"{program.Path} imports dlopen and names libz.so.1: needs libz.so.1; missing: add .AddLibrary(\"libz.so.1\")\n", files.Stdout);

        dir.Write("app.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().WithPasswd().Tag(\"app:1\");\n");
        var recipe = Run.Tinyrun(dir.Path, "deps", "--needs", "app.tiny.csx");
        Assert.True(recipe.ExitCode == 0, recipe.ToString());
        Assert.StartsWith("app:1:\n", recipe.Stdout);
        Assert.Contains("  /app/prog imports getpwnam: needs passwd and group entries; provided\n", recipe.Stdout);
        Assert.Contains("  /app/prog imports getaddrinfo: needs /etc/services, /etc/protocols and nsswitch.conf; missing: add .WithNss()\n", recipe.Stdout);
    }

    [Fact]
    public void Deps_refuses_a_file_that_is_not_a_program_in_its_own_words_and_AddBinary_in_its_own()
    {
        using var dir = new TempDirectory();
        var data = dir.Write("out/x.tar", "not a program\n");
        foreach (var mode in new[] { "--needs", "--why", "--json" })
        {
            var deps = Run.Tinyrun(dir.Path, "deps", mode, "out/x.tar");
            Assert.Equal(1, deps.ExitCode);
            Assert.Equal($"tinyrun: {data}: not an ELF program or a #! script; deps reads programs\n", deps.Stderr);
        }

        dir.Write("data.tiny.csx", "From.Scratch().AddBinary(\"out/x.tar\", \"/x\");\n");
        var build = Run.Tinyrun(dir.Path, "data.tiny.csx");
        Assert.Equal(1, build.ExitCode);
        Assert.Contains("not an ELF executable or a #! script; add data files with AddFile", build.Stderr);
    }
}
