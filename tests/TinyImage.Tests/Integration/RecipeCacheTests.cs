namespace TinyImage.Tests.Integration;

/// <summary>The compiled-recipe cache: warm runs skip Roslyn, edits invalidate, corruption is rebuilt, concurrency is safe.</summary>
public sealed class RecipeCacheTests
{
    private const string Common = "// shared building blocks\nImageBuilder WithGreeting(ImageBuilder image, string text) => image.AddText(\"/greeting\", text);\n";
    private const string Main = "#load \"lib/common.tiny.csx\"\nWithGreeting(From.Scratch(), Args.Get(\"text\", \"hi\")).Tag(\"cached:1\")\n";

    private static (TempDirectory Dir, Dictionary<string, string> Env) NewRecipe()
    {
        var dir = new TempDirectory();
        dir.Write("lib/common.tiny.csx", Common);
        dir.Write("main.tiny.csx", Main);
        return (dir, new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") });
    }

    [Fact]
    public void A_warm_run_comes_from_the_cache_and_does_not_load_roslyn()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        env["TINYRUN_SERVER"] = "0"; // what a process of its own loads (a build server has compiled other recipes)
        var cold = Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose");
        Assert.True(cold.ExitCode == 0, cold.ToString());
        Assert.Contains("compiling the recipe (not in the cache)", cold.Stderr);
        Assert.Contains("roslyn: loaded", cold.Stderr);

        var warm = Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose");
        Assert.True(warm.ExitCode == 0, warm.ToString());
        Assert.Contains("recipe from the cache", warm.Stderr);
        Assert.Contains("roslyn: not loaded", warm.Stderr);
        Assert.Equal(cold.Stdout, warm.Stdout);

        var mode = File.GetUnixFileMode(dir.Combine("cache"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode);

        var bypass = Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose", "--no-cache");
        Assert.Contains("compiling the recipe (cache disabled)", bypass.Stderr);

        // The entry is keyed on the version of the Roslyn beside the runner (taken from the runner's reference to it, which
        // loads nothing): the version its file has.
        var roslyn = System.Reflection.AssemblyName.GetAssemblyName(Path.Combine(AppContext.BaseDirectory, "Microsoft.CodeAnalysis.CSharp.Scripting.dll"));
        var index = Assert.Single(Directory.GetFiles(dir.Combine("cache"), "*.json"));
        Assert.Contains($"/roslyn {roslyn.Version}/", File.ReadAllText(index));
    }

    [Fact]
    public void Editing_a_loaded_file_invalidates_the_cache()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, "main.tiny.csx").ExitCode);
        dir.Write("lib/common.tiny.csx", Common.Replace("\"/greeting\"", "\"/etc/greeting\""));
        var edited = Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose");
        Assert.True(edited.ExitCode == 0, edited.ToString());
        Assert.Contains("compiling the recipe (not in the cache)", edited.Stderr);
        Assert.Contains("/etc/greeting", ImageArchive.Read(dir.Combine("out/cached.tar")).NonDirectories());
    }

    [Fact]
    public void A_corrupt_cache_entry_is_rebuilt_and_never_run()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, "main.tiny.csx").ExitCode);
        foreach (var dll in Directory.GetFiles(dir.Combine("cache"), "*.dll"))
        {
            var bytes = File.ReadAllBytes(dll);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(dll, bytes);
        }
        var rerun = Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Contains("compiling the recipe (not in the cache)", rerun.Stderr);
        Assert.Contains("recipe from the cache", Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose").Stderr);
    }

    [Fact]
    public async Task Two_concurrent_runs_with_an_empty_cache_both_succeed()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        var runs = Enumerable.Range(0, 2)
            .Select(i => Task.Run(() => Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--output", dir.Combine($"out{i}/x.tar"))))
            .ToArray();
        foreach (var run in await Task.WhenAll(runs)) Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(File.ReadAllBytes(dir.Combine("out0/x.tar")), File.ReadAllBytes(dir.Combine("out1/x.tar")));
        Assert.Contains("recipe from the cache", Run.Tinyrun(env, dir.Path, "main.tiny.csx", "--verbose").Stderr);
    }

    [Fact]
    public void A_compile_error_in_a_loaded_file_is_reported_at_that_file_and_line()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        dir.Write("lib/common.tiny.csx", Common + "int broken = \"text\";\n");
        var result = Run.Tinyrun(env, dir.Path, "main.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("lib/common.tiny.csx(3,14): error CS0029:", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Recipe_arguments_are_read_with_Args_and_a_missing_required_one_is_a_clear_error()
    {
        using var dir = new TempDirectory();
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        dir.Write("args.tiny.csx", "From.Scratch().AddText(\"/version\", Args[\"version\"]).Tag(\"args:\" + Args[\"version\"])\n");
        var ok = Run.Tinyrun(env, dir.Path, "args.tiny.csx", "--arg", "version=1.2");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("args:1.2", ok.Stdout);

        var missing = Run.Tinyrun(env, dir.Path, "args.tiny.csx");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("the recipe needs the argument 'version'; pass --arg version=VALUE", missing.Stderr);
    }
}
