using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.HostContent;

/// <summary>
/// Issue 8, finding 5: <c>$ORIGIN</c> means the directory of a file in the image, not in the build directory it was
/// read from. A program linked with <c>-rpath '$ORIGIN'</c> beside its library, added with <c>AddBinary("build/m")</c>
/// (so at <c>/m</c>), gets its library at <c>/liba.so</c>, read from beside its source.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class OriginRelocationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Gcc(params string[] args)
    {
        var result = Run.Process("gcc", args, _dir.Path);
        Assert.True(result.ExitCode == 0, "gcc: " + result.Stderr);
    }

    /// <summary>build/liba.so (says "a from build") and build/m, linked with the given RUNPATH/RPATH.</summary>
    private void BuildProgram(string libDirectory, string programPath, string rpath)
    {
        Directory.CreateDirectory(_dir.Combine(libDirectory));
        Directory.CreateDirectory(Path.GetDirectoryName(_dir.Combine(programPath))!);
        _dir.Write("a.c", "const char *who(void) { return \"a from build\"; }\n");
        _dir.Write("m.c", "#include <stdio.h>\nconst char *who(void);\nint main(void) { puts(who()); return 0; }\n");
        Gcc("-shared", "-fPIC", "-Wl,-soname,liba.so", "-o", $"{libDirectory}/liba.so", "a.c");
        Gcc("-o", programPath, "m.c", $"-L{libDirectory}", "-la", $"-Wl,-rpath,{rpath}");
    }

    private FileTree Assemble(Func<ImageBuilder, ImageBuilder> recipe) =>
        new TreeAssembler(new ResolverOptions()).Assemble(recipe(new Recipe(_dir.Combine("r.tiny.csx")).From.Scratch()).Spec).Tree;

    [Fact]
    public void Finding05_a_library_found_through_ORIGIN_goes_where_the_loader_looks_from_the_image_path()
    {
        BuildProgram("build", "build/m", "$ORIGIN");
        var tree = Assemble(r => r.AddBinary("build/m").WithLibs());

        var lib = tree.Find("/liba.so");
        Assert.NotNull(lib);
        Assert.Equal(_dir.Combine("build/liba.so"), lib!.SourcePath);
        Assert.DoesNotContain(tree.Paths, p => p.StartsWith(_dir.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void Finding05_ORIGIN_with_dot_dot_is_expanded_against_the_image_path()
    {
        BuildProgram("build/lib", "build/bin/m", "$ORIGIN/../lib");
        var tree = Assemble(r => r.AddBinary("build/bin/m", "/app/bin/m").WithLibs());

        Assert.Equal(_dir.Combine("build/lib/liba.so"), tree.Find("/app/lib/liba.so")?.SourcePath);
        Assert.DoesNotContain(tree.Paths, p => p.StartsWith(_dir.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void Finding05_a_RUNPATH_without_ORIGIN_is_still_searched_in_the_root()
    {
        BuildProgram("build", "build/m", "/nonexistent-dir");
        Assert.Contains("cannot find liba.so", Assert.Throws<TinyImage.Core.TinyImageException>(() => Assemble(r => r.AddBinary("build/m").WithLibs())).Message);
    }

    [Fact]
    public void Finding05_the_relocated_program_runs_in_a_container()
    {
        BuildProgram("build", "build/m", "$ORIGIN");
        var tag = $"tinyimage-test-origin-{Guid.NewGuid():N}"[..40] + ":1";
        _dir.Write("r.tiny.csx", $"From.Scratch().AddBinary(\"build/m\").WithLibs().Entrypoint(\"/m\").Tag(\"{tag}\")\n");
        try
        {
            var build = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = _dir.Combine("cache") }, _dir.Path, "r.tiny.csx", "--load");
            Assert.True(build.ExitCode == 0, build.Stderr);
            var run = Run.Docker("run", "--rm", "--network", "none", tag);
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
            Assert.Equal("a from build\n", run.Stdout);
        }
        finally
        {
            Run.Docker("rmi", "-f", tag);
        }
    }
}
