using System.Text.RegularExpressions;

namespace TinyImage.Tests.Integration;

/// <summary>tinyrun end to end on the recipes and on bad recipes, without a Docker engine.</summary>
public sealed class RecipeBuildTests
{
    [Fact]
    public void A_recipe_with_a_typo_reports_the_compiler_error_at_its_line_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        dir.Write("typo.tiny.csx", "// a typo on line 2\nFrom.Scratch().AddBinnary(\"/bin/echo\")\n");
        var result = Run.Tinyrun(dir.Path, "typo.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(new Regex(@"^typo\.tiny\.csx\(2,16\): error CS1061: .*AddBinnary", RegexOptions.Multiline), result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")), "a recipe that does not compile must write nothing");
    }

    [Fact]
    public void A_missing_binary_is_reported_at_the_recipe_line_that_added_it()
    {
        using var dir = new TempDirectory();
        dir.Write("missing.tiny.csx", "From.Scratch()\n    .AddBinary(\"/no/such/program\")\n    .WithLibs();\n");
        var result = Run.Tinyrun(dir.Path, "missing.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing.tiny.csx(2): AddBinary: '/no/such/program' does not exist", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace for a user's mistake
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void An_exception_thrown_by_recipe_code_names_the_recipe_line()
    {
        using var dir = new TempDirectory();
        dir.Write("throws.tiny.csx", "var image = From.Scratch();\nstring? name = null;\nimage.Tag(name!.ToLower());\n");
        var result = Run.Tinyrun(dir.Path, "throws.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("throws.tiny.csx(3): the recipe threw NullReferenceException", result.Stderr);
    }

    [Fact]
    public void Finding17_An_exception_thrown_in_a_loaded_file_names_that_files_line_compiled_and_from_the_cache()
    {
        using var dir = new TempDirectory();
        dir.Write("lib/names.csx", "// helpers\nstring NameOf(string? given)\n{\n    return given!.ToLower();\n}\n");
        dir.Write("main.tiny.csx", "#load \"lib/names.csx\"\nFrom.Scratch().Tag(NameOf(null));\n");

        var compiled = Run.Tinyrun(dir.Path, "main.tiny.csx");
        var cached = Run.Tinyrun(dir.Path, "main.tiny.csx");

        foreach (var result in new[] { compiled, cached })
        {
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("tinyrun: lib/names.csx(4): the recipe threw NullReferenceException", result.Stderr);
            Assert.DoesNotContain("main.tiny.csx", result.Stderr);
        }
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void A_failing_Sh_step_fails_the_build_with_its_exit_code_and_output()
    {
        using var dir = new TempDirectory();
        dir.Write("sh.tiny.csx", "Sh(\"echo building; echo broken >&2; exit 3\");\nFrom.Scratch();\n");
        var result = Run.Tinyrun(dir.Path, "sh.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("sh.tiny.csx(1): Sh(", result.Stderr);
        Assert.Contains("exit code 3", result.Stderr);
        Assert.Contains("broken", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Sh_runs_in_the_recipe_directory_and_relative_sources_are_relative_to_the_recipe()
    {
        using var dir = new TempDirectory();
        dir.Write("sub/app.tiny.csx",
            "Sh(\"printf 'hi' > made-by-sh.txt\");\nFrom.Scratch().AddFile(\"made-by-sh.txt\", \"/etc/greeting\", 644).Tag(\"app:1\")");
        var result = Run.Tinyrun(dir.Path, "sub/app.tiny.csx");
        Assert.True(result.ExitCode == 0, result.ToString());
        var image = ImageArchive.Read(dir.Combine("out/app.tar"));
        Assert.Contains("/etc/greeting", image.NonDirectories());
    }

    [Fact]
    public void A_recipe_may_define_several_images_and_each_is_built()
    {
        using var dir = new TempDirectory();
        dir.Write("two.tiny.csx",
            "var shell = From.Scratch().AddBinary(\"/bin/sh\").WithLibs();\nshell.Cmd(\"/bin/sh\").Tag(\"one:latest\");\nshell.Tag(\"two:latest\")");
        var result = Run.Tinyrun(dir.Path, "two.tiny.csx");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("one:latest", result.Stdout);
        Assert.Contains("two:latest", result.Stdout);
        Assert.True(File.Exists(dir.Combine("out/one.tar")));
        Assert.True(File.Exists(dir.Combine("out/two.tar")));
    }

    [Fact]
    public void Building_the_same_recipe_twice_gives_the_same_manifest_digest_and_bytes()
    {
        using var dir = new TempDirectory();
        var first = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--output", dir.Combine("a.tar"));
        var second = Run.Tinyrun(Run.RepoRoot, "build", "recipes/bash-ls.tiny.csx", "--output", dir.Combine("b.tar"));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        var digest = Regex.Match(first.Stdout, "sha256:[0-9a-f]{64}").Value;
        Assert.NotEmpty(digest);
        Assert.Equal(digest, Regex.Match(second.Stdout, "sha256:[0-9a-f]{64}").Value);
        Assert.Equal(File.ReadAllBytes(dir.Combine("a.tar")), File.ReadAllBytes(dir.Combine("b.tar")));
    }

    [Fact]
    public void The_bash_ls_image_holds_exactly_the_binaries_the_loader_the_libraries_ldd_names_and_the_symlinks_on_their_paths()
    {
        using var dir = new TempDirectory();
        var result = Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--output", dir.Combine("ls.tar"));
        Assert.True(result.ExitCode == 0, result.ToString());

        var expected = new HashSet<string>();
        foreach (var program in new[] { "/bin/bash", "/bin/ls" })
        {
            expected.UnionWith(HostPaths.OnTheWayTo(program));
            foreach (var library in HostPaths.LddFiles(program))
                expected.UnionWith(HostPaths.OnTheWayTo(library));
        }
        // And what scanners read: the OS identification (with the links on its way) and a record per package shipped.
        expected.UnionWith(HostPaths.OnTheWayTo("/etc/os-release"));
        expected.Add("/etc/debian_version");
        foreach (var package in new[] { "base-files", "bash", "coreutils", "libc6", "libpcre2-8-0", "libselinux1", "libtinfo6" })
            expected.UnionWith([$"/var/lib/dpkg/status.d/{package}", $"/var/lib/dpkg/status.d/{package}.md5sums"]);
        var image = ImageArchive.Read(dir.Combine("ls.tar"));
        Assert.Equal(expected.Order(StringComparer.Ordinal), image.NonDirectories().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_scratch_recipe_gives_an_image_with_no_files()
    {
        using var dir = new TempDirectory();
        var result = Run.Tinyrun(Run.RepoRoot, "recipes/scratch.tiny.csx", "--output", dir.Combine("empty.tar"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(ImageArchive.Read(dir.Combine("empty.tar")).LayerEntries);
    }

    [Fact]
    public void The_tag_option_overrides_the_recipe_tag_and_a_bad_tag_is_a_clear_error()
    {
        using var dir = new TempDirectory();
        var ok = Run.Tinyrun(Run.RepoRoot, "recipes/hello.tiny.csx", "--tag", "greeter:2", "--output", dir.Combine("g.tar"));
        Assert.True(ok.ExitCode == 0, ok.ToString());
        var image = ImageArchive.Read(dir.Combine("g.tar"));
        Assert.Equal("greeter:2", image.DockerManifest.GetProperty("RepoTags")[0].GetString());

        var bad = Run.Tinyrun(Run.RepoRoot, "recipes/hello.tiny.csx", "--tag", "Not A Name", "--output", dir.Combine("bad.tar"));
        Assert.Equal(2, bad.ExitCode); // a usage error: the name is malformed whatever the recipe
        Assert.Contains("'Not A Name': not a valid image name", bad.Stderr);
        Assert.False(File.Exists(dir.Combine("bad.tar")));
    }

    [Fact]
    public void Usage_errors_exit_2_and_a_missing_recipe_exits_1()
    {
        Assert.Equal(2, Run.Tinyrun(Run.RepoRoot, "build").ExitCode);
        Assert.Equal(2, Run.Tinyrun(Run.RepoRoot, "recipes/hello.tiny.csx", "--no-such-option").ExitCode);
        var missing = Run.Tinyrun(Run.RepoRoot, "recipes/nope.tiny.csx");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("recipes/nope.tiny.csx: no such recipe file", missing.Stderr);
    }

    [Fact]
    public void Deps_prints_the_tree_and_json_lists_the_files_an_image_needs()
    {
        var tree = Run.Tinyrun(Run.RepoRoot, "deps", "/bin/ls");
        Assert.True(tree.ExitCode == 0, tree.ToString());
        Assert.Matches(new Regex(@"^    libselinux\.so\.1 => .*\n        libpcre2-8\.so\.0 => ", RegexOptions.Multiline), tree.Stdout);

        Assert.Matches(new Regex(@"^    libc\.so\.6 => \S+ \(\d+(\.\d)? [kM]B\)$", RegexOptions.Multiline), tree.Stdout);

        var why = Run.Tinyrun(Run.RepoRoot, "deps", "--why", "/bin/ls");
        Assert.True(why.ExitCode == 0, why.ToString());
        Assert.Matches(new Regex(@"^/usr/lib/x86_64-linux-gnu/libc\.so\.6 +libc\.so\.6, needed by /bin/ls, found in default path", RegexOptions.Multiline), why.Stdout);
        Assert.Matches(new Regex(@"^/usr/lib/x86_64-linux-gnu/libpcre2-8\.so\.0\.\S+ +libpcre2-8\.so\.0, needed by /lib/x86_64-linux-gnu/libselinux\.so\.1", RegexOptions.Multiline), why.Stdout);

        var json = Run.Tinyrun(Run.RepoRoot, "deps", "--json", "/bin/ls");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var paths = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToHashSet();
        var expected = HostPaths.LddFiles("/bin/ls").Prepend("/bin/ls").SelectMany(HostPaths.OnTheWayTo).ToHashSet();
        Assert.Equal(expected.Order(StringComparer.Ordinal), paths.Order(StringComparer.Ordinal));
    }
}
