using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Presets;
using TinyImage.Core.Spec;
using TinyImage.Dsl;
using TinyImage.Tests.Unit;

namespace TinyImage.Tests.Needs;

/// <summary>
/// Program presets (<see cref="ProgramPresets"/>): python's standard library and git's templates and exec path, found
/// from the program the image has, less tests and tools, with the closure of their ELF files; the hint that names them.
/// </summary>
public sealed class ProgramPresetTests
{
    private const string Stdlib = "/usr/lib/python3.11";

    private static FileTree Assemble(params BuildStep[] steps) => new TreeAssembler(new ResolverOptions()).Assemble(new ImageSpec { Steps = [.. steps] }).Tree;

    private static bool Has(FileTree tree, string path) => new ImageView(tree).Follow(path) is not null;

    [Fact]
    public void WithPythonStdlib_adds_the_standard_library_of_the_python_added_with_its_C_modules_closure_and_without_tests()
    {
        Assert.True(File.Exists("/usr/bin/python3.11") && Directory.Exists(Stdlib + "/test"), "the test needs Debian 12's python3.11 with its tests (libpython3.11-testsuite or -dev)");
        var tree = Assemble(new AddBinaryStep("/usr/bin/python3", "/usr/bin/python3"), new WithLibsStep(), new WithProgramDataStep("python"));

        foreach (var kept in new[] { "encodings/__init__.py", "json/__init__.py", "http/server.py", "zoneinfo/__init__.py", "lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so", "lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so" })
            Assert.True(Has(tree, $"{Stdlib}/{kept}"), kept);
        Assert.True(tree.Paths.Any(p => p.StartsWith(Stdlib + "/", StringComparison.Ordinal) && p.Contains("/__pycache__/", StringComparison.Ordinal)), "bytecode is kept by default");
        // The C modules' libraries, which WithLibs before the call could not know.
        Assert.True(Has(tree, "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0"));
        Assert.True(Has(tree, "/usr/lib/x86_64-linux-gnu/libssl.so.3"));
        foreach (var left in new[] { "test", "idlelib", "ensurepip", "turtledemo", "config-3.11-x86_64-linux-gnu", "lib-dynload/_testcapi.cpython-311-x86_64-linux-gnu.so", "unittest/test", "ctypes/test" })
            Assert.False(Has(tree, $"{Stdlib}/{left}"), left);
    }

    [Fact]
    public void WithPythonStdlib_without_bytecode_and_with_more_excludes_leaves_them_out()
    {
        var tree = Assemble(new AddBinaryStep("/usr/bin/python3", "/usr/bin/python3"), new WithProgramDataStep("python") { Exclude = ["__pycache__", "lib2to3"] });
        Assert.True(Has(tree, Stdlib + "/os.py"));
        Assert.DoesNotContain(tree.Paths, p => p.Contains("/__pycache__", StringComparison.Ordinal));
        Assert.False(Has(tree, Stdlib + "/lib2to3"));
    }

    [Fact]
    public void Tkinter_goes_in_only_with_its_C_module()
    {
        using var root = new TempRoot();
        Directory.CreateDirectory(root.Host("usr/bin"));
        File.Copy("/usr/bin/python3.11", root.Host("usr/bin/python3.12"));
        foreach (var file in new[] { "encodings/__init__.py", "tkinter/__init__.py", "turtle.py", "os.py", "test/test_os.py" })
            root.File($"usr/lib/python3.12/{file}", "# python\n");
        var options = new ResolverOptions { Files = new HostFiles(root.Path) };
        ImageSpec Spec() => new() { Steps = [new AddBinaryStep("/usr/bin/python3.12", "/usr/bin/python3.12"), new WithProgramDataStep("python")] };

        var withoutTk = new TreeAssembler(options).Assemble(Spec()).Tree;
        Assert.True(Has(withoutTk, "/usr/lib/python3.12/os.py"));
        Assert.False(Has(withoutTk, "/usr/lib/python3.12/tkinter"));
        Assert.False(Has(withoutTk, "/usr/lib/python3.12/turtle.py"));
        Assert.False(Has(withoutTk, "/usr/lib/python3.12/test"));

        root.File("usr/lib/python3.12/lib-dynload/_tkinter.cpython-312-x86_64-linux-gnu.so", "not really\n");
        var withTk = new TreeAssembler(options).Assemble(Spec()).Tree;
        Assert.True(Has(withTk, "/usr/lib/python3.12/tkinter/__init__.py"));
        Assert.True(Has(withTk, "/usr/lib/python3.12/turtle.py"));
    }

    [Fact]
    public void WithGitCore_adds_the_templates_and_the_exec_path_with_the_helpers_libraries()
    {
        Assert.True(File.Exists("/usr/bin/git") && Directory.Exists("/usr/lib/git-core"), "the test needs Debian's git");
        var tree = Assemble(new AddBinaryStep("/usr/bin/git", "/usr/bin/git"), new WithLibsStep(), new WithProgramDataStep("git"));
        Assert.True(Has(tree, "/usr/share/git-core/templates/description"));
        Assert.True(Has(tree, "/usr/lib/git-core/git-remote-http"));
        Assert.True(Has(tree, "/usr/lib/git-core/git-commit"));
        // git-remote-http(s) links libcurl, which git itself does not.
        Assert.Contains(tree.Paths, p => p.Contains("/libcurl", StringComparison.Ordinal));
    }

    [Fact]
    public void WithPerlModules_finds_perls_directories_by_their_patterns_and_leaves_out_pod_and_headers()
    {
        Assert.True(File.Exists("/usr/bin/perl") && Directory.Exists("/usr/share/perl/5.36.0"), "the test needs Debian 12's perl");
        var tree = Assemble(new AddBinaryStep("/usr/bin/perl", "/usr/bin/perl"), new WithLibsStep(), new WithProgramDataStep("perl"));
        Assert.True(Has(tree, "/usr/lib/x86_64-linux-gnu/perl-base/strict.pm"));
        Assert.True(Has(tree, "/usr/share/perl/5.36/JSON/PP.pm"), "through the link 5.36 -> 5.36.0");
        Assert.True(Has(tree, "/usr/lib/x86_64-linux-gnu/perl/5.36.0/auto/Digest/SHA/SHA.so"));
        Assert.False(Has(tree, "/usr/lib/x86_64-linux-gnu/perl/5.36.0/CORE"));
        Assert.DoesNotContain(tree.Paths, p => p.EndsWith(".pod", StringComparison.Ordinal));
        Assert.DoesNotContain(tree.Paths, p => p.StartsWith("/usr/share/perl5/", StringComparison.Ordinal));
    }

    [Fact]
    public void WithPostgresData_adds_the_share_and_lib_directories_without_the_JIT_and_its_110_MB_of_LLVM()
    {
        const string bin = "/usr/lib/postgresql/15/bin/postgres";
        Assert.True(File.Exists(bin) && File.Exists("/usr/lib/postgresql/15/lib/llvmjit.so"), "the test needs Debian 12's postgresql-15 (with its JIT)");
        var tree = Assemble(new AddBinaryStep(bin, bin), new WithLibsStep(), new WithProgramDataStep("postgres"));
        Assert.True(Has(tree, "/usr/share/postgresql/15/postgres.bki"));
        Assert.True(Has(tree, "/usr/share/postgresql/15/pg_hba.conf.sample"));
        Assert.True(Has(tree, "/usr/lib/postgresql/15/lib/plpgsql.so"));
        Assert.False(Has(tree, "/usr/lib/postgresql/15/lib/llvmjit.so"));
        Assert.False(Has(tree, "/usr/lib/postgresql/15/lib/bitcode"));
        Assert.False(Has(tree, "/usr/share/postgresql/15/man"));
        Assert.DoesNotContain(tree.Paths, p => p.Contains("libLLVM", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hash_bang_script_whose_interpreters_data_is_missing_gets_the_hint_naming_its_preset()
    {
        using var dir = new Integration.TempDirectory();
        var perl = dir.Write("app/report.pl", "#!/usr/bin/perl\nuse strict;\nprint \"ok\\n\";\n");
        var python = dir.Write("app/serve.py", "#!/usr/bin/python3\nimport http.server\n");
        var image = new ImageView(Assemble(new AddBinaryStep(perl, "/app/report.pl") { Tree = SourceTree.Recipe },
            new AddBinaryStep(python, "/app/serve.py") { Tree = SourceTree.Recipe }, new WithLibsStep()));
        var hints = RuntimeNeeds.Unmet(image, new RuntimeNeedScanner(new ResolverOptions()).Scan(image.ElfFiles()))
            .Where(n => n.Kind == RuntimeNeedKind.InterpreterData).Select(n => n.ToString());
        Assert.Equal(["/usr/bin/perl is perl: add .WithPerlModules()", "/usr/bin/python3.11 is python 3.11: add .WithPythonStdlib()"], hints);
    }

    [Fact]
    public void A_preset_without_its_program_in_the_image_is_an_error_naming_the_program()
    {
        var error = Assert.Throws<TinyImageException>(() => Assemble(new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithProgramDataStep("python")));
        Assert.Equal(".WithPythonStdlib(): the image has no python program yet; add it first, e.g. .AddBinary(\"/usr/bin/python3\")", error.Message);
    }

    [Fact]
    public void A_preset_whose_directory_is_missing_says_where_it_looked()
    {
        using var root = new TempRoot();
        Directory.CreateDirectory(root.Host("opt/py/bin"));
        File.Copy("/usr/bin/python3.11", root.Host("opt/py/bin/python3.11"));
        var error = Assert.Throws<TinyImageException>(() => new TreeAssembler(new ResolverOptions { Files = new HostFiles(root.Path) })
            .Assemble(new ImageSpec { Steps = [new AddBinaryStep("/opt/py/bin/python3.11", "/opt/py/bin/python3.11"), new WithProgramDataStep("python")] }));
        Assert.Equal($".WithPythonStdlib(): /opt/py/lib/python3.11 is not a directory in the root {root.Path}; install python's data there, or add what it needs with .AddDirectory(...)", error.Message);
    }

    [Fact]
    public void Without_their_data_python_and_git_get_a_hint_naming_the_preset_and_with_it_none()
    {
        var options = new ResolverOptions();
        var bare = new ImageView(Assemble(new AddBinaryStep("/usr/bin/python3", "/usr/bin/python3"), new AddBinaryStep("/usr/bin/git", "/usr/bin/git"), new WithLibsStep()));
        var hints = RuntimeNeeds.Unmet(bare, new RuntimeNeedScanner(options).Scan(bare.ElfFiles())).Where(n => n.Kind == RuntimeNeedKind.InterpreterData).Select(n => n.ToString());
        Assert.Equal(["/usr/bin/git is git: add .WithGitCore()", "/usr/bin/python3.11 is python 3.11: add .WithPythonStdlib()"], hints);

        var provided = new ImageView(Assemble(new AddBinaryStep("/usr/bin/python3", "/usr/bin/python3"), new AddBinaryStep("/usr/bin/git", "/usr/bin/git"), new WithLibsStep(),
            new WithProgramDataStep("python") { Exclude = ["__pycache__"] }, new WithProgramDataStep("git")));
        Assert.DoesNotContain(RuntimeNeeds.Unmet(provided, new RuntimeNeedScanner(options).Scan(provided.ElfFiles())), n => n.Kind == RuntimeNeedKind.InterpreterData);
    }

    [Fact]
    public void WithRuntimeNeeds_adds_the_data_of_the_programs_it_recognises()
    {
        var tree = Assemble(new AddBinaryStep("/usr/bin/git", "/usr/bin/git"), new WithLibsStep(), new WithRuntimeNeedsStep());
        Assert.True(Has(tree, "/usr/share/git-core/templates/description"));
        Assert.True(Has(tree, "/usr/lib/git-core/git-remote-http"));
    }

    [Fact]
    public void The_DSL_calls_name_their_preset_and_check_their_patterns()
    {
        const string path = "/tmp/x/recipe.tiny.csx";
        var image = new Recipe(path).From.Scratch(path, 1).AddBinary("/usr/bin/python3", null, path, 2)
            .WithPythonStdlib(bytecode: false, exclude: ["lib2to3"], file: path, line: 3).WithGitCore(file: path, line: 4)
            .WithPerlModules(["Encode/JP*"], path, 5).WithPostgresData(file: path, line: 6);
        var python = Assert.IsType<WithProgramDataStep>(image.Spec.Steps[1]);
        Assert.Equal("python", python.Preset);
        Assert.Equal(["lib2to3", "__pycache__"], python.Exclude);
        Assert.Equal(3, python.Origin?.Line);
        Assert.Equal("git", Assert.IsType<WithProgramDataStep>(image.Spec.Steps[2]).Preset);
        var perl = Assert.IsType<WithProgramDataStep>(image.Spec.Steps[3]);
        Assert.Equal(("perl", "Encode/JP*"), (perl.Preset, Assert.Single(perl.Exclude)));
        Assert.Equal("postgres", Assert.IsType<WithProgramDataStep>(image.Spec.Steps[4]).Preset);
        Assert.Empty(Assert.IsType<WithProgramDataStep>(new Recipe(path).From.Scratch(path, 1).WithPythonStdlib(file: path, line: 2).Spec.Steps[0]).Exclude);

        var error = Assert.Throws<TinyImageException>(() => new Recipe(path).From.Scratch(path, 1).WithPythonStdlib(exclude: ["/test"], file: path, line: 5));
        Assert.Equal($"{path}(5): WithPythonStdlib: pattern '/test': a pattern is relative to the directory; drop the leading '/'", error.Message);
    }

    [Fact]
    public void Every_preset_names_its_call_and_a_data_directory_from_its_program()
    {
        Assert.Equal(["python", "git", "perl", "postgres"], ProgramPresets.All.Select(p => p.Name));
        var (preset, match) = ProgramPresets.Recognise("/usr/local/bin/python3.12")!.Value;
        Assert.Equal("/usr/local/lib/python3.12", preset.DataDirectory(match));
        Assert.Equal("WithPythonStdlib", preset.StepName);
        Assert.Null(ProgramPresets.Recognise("/usr/bin/python3"));
        Assert.Null(ProgramPresets.Recognise("/usr/bin/gitk"));
        Assert.Equal("perl", ProgramPresets.Recognise("/usr/bin/perl5.36.0")?.Preset.Name);
        Assert.Null(ProgramPresets.Recognise("/usr/bin/perldoc"));
        Assert.Equal("/usr/share/postgresql/15", ProgramPresets.Recognise("/usr/lib/postgresql/15/bin/initdb") is var (postgres, m) ? postgres.DataDirectory(m) : null);
        Assert.Null(ProgramPresets.Recognise("/usr/lib/postgresql/15/bin/psql"));
    }
}
