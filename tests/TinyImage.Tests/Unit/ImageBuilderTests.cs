using TinyImage.Core;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Tests.Unit;

public sealed class ImageBuilderTests
{
    private const string RecipePath = "/tmp/x/recipe.tiny.csx";
    private const int Line = 7;

    private readonly Recipe _recipe = new(RecipePath);

    private ImageBuilder Scratch() => _recipe.From.Scratch(RecipePath, 1);

    private static void AssertRecipeError(Action call, params string[] parts)
    {
        var e = Assert.Throws<TinyImageException>(call);
        Assert.Contains($"recipe.tiny.csx({Line}): ", e.Message);
        foreach (var part in parts) Assert.Contains(part, e.Message);
    }

    // ---- immutability

    [Fact]
    public void Every_call_returns_a_new_builder_and_leaves_the_old_spec_unchanged()
    {
        var a = Scratch();
        var before = a.Spec;

        var b = a.AddText("/etc/motd", "hi").Env("A", "1").Cmd("/bin/sh").Expose(80).Label("k", "v").Tag("x:1");

        Assert.NotSame(a, b);
        Assert.Same(before, a.Spec);
        Assert.Empty(a.Spec.Steps);
        Assert.Empty(a.Spec.Config.Env);
        Assert.Null(a.Spec.Config.Cmd);
        Assert.Empty(a.Spec.Config.ExposedPorts);
        Assert.Empty(a.Spec.Config.Labels);
        Assert.Null(a.Spec.Reference);
        Assert.Single(b.Spec.Steps);
        Assert.Equal("x:1", b.Spec.Reference);
    }

    [Fact]
    public void Two_branches_of_one_builder_do_not_see_each_other()
    {
        var shared = Scratch().Env("A", "1");
        var left = shared.Env("B", "2");
        var right = shared.Env("A", "changed");

        Assert.Equal(["A=1", "B=2"], left.Spec.Config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Equal(["A=changed"], right.Spec.Config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Equal(["A=1"], shared.Spec.Config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    [Fact]
    public void Steps_record_the_recipe_line()
    {
        var b = Scratch().MkDir("/data", 700, file: RecipePath, line: 42);

        Assert.Equal(new SourceLocation(RecipePath, 42), b.Spec.Steps.Single().Origin);
    }

    // ---- modes

    [Theory]
    [InlineData(755, 0x1ED)]
    [InlineData(644, 0x1A4)]
    [InlineData(0, 0)]
    [InlineData(7, 7)]
    [InlineData(1777, 0x3FF)]
    [InlineData(4755, 0x9ED)]
    [InlineData(7777, 0xFFF)]
    public void Modes_are_read_as_octal_digits(int written, int mode)
    {
        Assert.Equal(mode, ((MkDirStep)Scratch().MkDir("/d", written).Spec.Steps.Single()).Mode);
        Assert.Equal(mode, ((AddTextStep)Scratch().AddText("/f", "", written).Spec.Steps.Single()).Mode);
        Assert.Equal(mode, ((AddFileStep)Scratch().AddFile("/h", "/f", written).Spec.Steps.Single()).Mode);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(758)]
    [InlineData(790)]
    [InlineData(-1)]
    [InlineData(17777)]
    [InlineData(77777)]
    public void Non_octal_modes_are_rejected_naming_the_recipe_line(int written)
    {
        AssertRecipeError(() => Scratch().MkDir("/d", written, file: RecipePath, line: Line), $"mode {written}", "octal");
        AssertRecipeError(() => Scratch().AddText("/f", "", written, file: RecipePath, line: Line), $"mode {written}");
        AssertRecipeError(() => Scratch().AddFile("/h", "/f", written, file: RecipePath, line: Line), $"mode {written}");
    }

    [Fact]
    public void Default_modes()
    {
        Assert.Equal(0x1ED, ((MkDirStep)Scratch().MkDir("/d").Spec.Steps.Single()).Mode);
        Assert.Equal(0x1A4, ((AddTextStep)Scratch().AddText("/f", "t").Spec.Steps.Single()).Mode);
        Assert.Null(((AddFileStep)Scratch().AddFile("/h", "/f").Spec.Steps.Single()).Mode);
        Assert.Equal(new MkDirStep("/tmp", 0x3FF), Scratch().WithTmp().Spec.Steps.Single() with { Origin = null });
    }

    // ---- paths

    [Theory]
    [InlineData("data/x.txt", "/tmp/x/data/x.txt")]
    [InlineData("./x.txt", "/tmp/x/x.txt")]
    [InlineData("../y/x.txt", "/tmp/y/x.txt")]
    [InlineData("/etc/hosts", "/etc/hosts")]
    [InlineData("/etc/../etc/hosts", "/etc/hosts")]
    public void Relative_sources_are_resolved_against_the_recipe_directory(string source, string expected)
    {
        Assert.Equal(expected, ((AddFileStep)Scratch().AddFile(source, "/dst").Spec.Steps.Single()).Source);
        Assert.Equal(expected, ((AddDirectoryStep)Scratch().AddDirectory(source, "/dst").Spec.Steps.Single()).Source);
        Assert.Equal(expected, ((AddBinaryStep)Scratch().AddBinary(source, "/dst").Spec.Steps.Single()).Source);
    }

    [Theory]
    [InlineData("/bin/bash", "/bin/bash", "/bin/bash")]
    [InlineData("tool", "/tmp/x/tool", "/tool")]
    [InlineData("./build/out/tool", "/tmp/x/build/out/tool", "/tool")]
    [InlineData("../other/tool", "/tmp/other/tool", "/tool")]
    public void AddBinary_destination_defaults_to_the_absolute_source_or_slash_name(string source, string expectedSource, string destination)
    {
        var step = (AddBinaryStep)Scratch().AddBinary(source).Spec.Steps.Single();

        Assert.Equal(expectedSource, step.Source);
        Assert.Equal(destination, step.Destination);
    }

    [Fact]
    public void Destinations_are_normalized()
    {
        var b = Scratch().AddText("/etc//./app/../motd", "x").MkDir("/var/lib/").Symlink("/bin/../lib64", "usr/lib64");

        Assert.Equal("/etc/motd", ((AddTextStep)b.Spec.Steps[0]).Destination);
        Assert.Equal("/var/lib", ((MkDirStep)b.Spec.Steps[1]).Path);
        Assert.Equal(new SymlinkStep("/lib64", "usr/lib64"), b.Spec.Steps[2] with { Origin = null });
    }

    [Fact]
    public void Destinations_must_be_absolute()
    {
        AssertRecipeError(() => Scratch().AddFile("/h", "etc/x", null, file: RecipePath, line: Line), "'etc/x'", "absolute");
        AssertRecipeError(() => Scratch().AddDirectory("/h", "d", null, null, file: RecipePath, line: Line), "'d'");
        AssertRecipeError(() => Scratch().AddText("motd", "x", 644, file: RecipePath, line: Line), "'motd'");
        AssertRecipeError(() => Scratch().AddBinary("/bin/sh", "sh", RecipePath, Line), "'sh'");
        AssertRecipeError(() => Scratch().MkDir("", 755, file: RecipePath, line: Line), "''");
        AssertRecipeError(() => Scratch().Symlink("lib64", "usr/lib64", RecipePath, Line), "'lib64'");
        AssertRecipeError(() => Scratch().TestPathExists("bin/sh", RecipePath, Line), "'bin/sh'");
    }

    [Fact]
    public void A_symlink_needs_a_target()
    {
        AssertRecipeError(() => Scratch().Symlink("/lib64", "", RecipePath, Line), "Symlink(\"/lib64\"", "target is empty");
    }

    // ---- configuration

    [Fact]
    public void Env_replaces_in_place_keeping_the_order()
    {
        var b = Scratch().Env("PATH", "/bin").Env("LANG", "C").Env("TZ", "UTC").Env("LANG", "C.utf8");

        Assert.Equal(["PATH=/bin", "LANG=C.utf8", "TZ=UTC"], b.Spec.Config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    [Fact]
    public void Env_allows_an_empty_value_and_is_case_sensitive()
    {
        var b = Scratch().Env("a", "1").Env("A", "").Env("a", "2");

        Assert.Equal(["a=2", "A="], b.Spec.Config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("A=B")]
    [InlineData("=")]
    public void Env_rejects_bad_names(string name)
    {
        var e = Assert.Throws<TinyImageException>(() => Scratch().Env(name, "v"));
        Assert.Contains($"Env(\"{name}\"", e.Message);
    }

    [Theory]
    [InlineData(1, "tcp", "1/tcp")]
    [InlineData(80, "tcp", "80/tcp")]
    [InlineData(53, "udp", "53/udp")]
    [InlineData(65535, "sctp", "65535/sctp")]
    public void Expose_accepts_ports_and_protocols(int port, string protocol, string expected)
    {
        Assert.Equal([expected], Scratch().Expose(port, protocol).Spec.Config.ExposedPorts);
    }

    [Fact]
    public void Expose_defaults_to_tcp_and_keeps_each_port_once_sorted()
    {
        var ports = Scratch().Expose(8080).Expose(443).Expose(8080).Expose(443, "udp").Spec.Config.ExposedPorts;

        Assert.Equal(["443/tcp", "443/udp", "8080/tcp"], ports);
    }

    [Theory]
    [InlineData(0, "tcp")]
    [InlineData(-1, "tcp")]
    [InlineData(65536, "tcp")]
    [InlineData(80, "http")]
    [InlineData(80, "TCP")]
    [InlineData(80, "")]
    public void Expose_rejects_bad_ports_and_protocols(int port, string protocol)
    {
        var e = Assert.Throws<TinyImageException>(() => Scratch().Expose(port, protocol));
        Assert.Contains($"Expose({port}, \"{protocol}\")", e.Message);
    }

    [Fact]
    public void Entrypoint_cmd_workdir_user_and_labels()
    {
        var c = Scratch().Entrypoint("/bin/app", "--serve").Cmd().WorkDir("/srv//www/").User(1000, 100)
            .Label("b", "2").Label("a", "1").Label("b", "3").Spec.Config;

        Assert.Equal(["/bin/app", "--serve"], c.Entrypoint!.Value.ToArray());
        Assert.Empty(c.Cmd!.Value);
        Assert.Equal("/srv/www", c.WorkingDir);
        Assert.Equal("1000:100", c.User);
        Assert.Equal(["a=1", "b=3"], c.Labels.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Equal("1000", Scratch().User(1000).Spec.Config.User);
    }

    [Fact]
    public void WithUser_adds_the_account_and_sets_the_user()
    {
        var b = Scratch().WithUser("app", 1000);

        Assert.Equal(new WithUserStep("app", 1000, 1000), b.Spec.Steps.Single() with { Origin = null });
        Assert.Equal("1000:1000", b.Spec.Config.User);
        AssertRecipeError(() => Scratch().WithUser("app", 0, null, RecipePath, Line), "uid 0 is root");
        AssertRecipeError(() => Scratch().WithUser("App", 1000, null, RecipePath, Line), "WithUser(\"App\"");
        AssertRecipeError(() => Scratch().WithUser("app", 1000, -1, RecipePath, Line), "0 or more");
    }

    // ---- tags

    [Theory]
    [InlineData("hello", "hello:latest")]
    [InlineData("hello:1.0", "hello:1.0")]
    [InlineData("registry.example:5000/team/app:1.2", "registry.example:5000/team/app:1.2")]
    public void Tag_stores_the_reference_with_its_tag(string tag, string expected)
    {
        Assert.Equal(expected, Scratch().Tag(tag).Spec.Reference);
    }

    [Fact]
    public void A_later_tag_replaces_the_earlier_one()
    {
        Assert.Equal("b:latest", Scratch().Tag("a").Tag("b").Spec.Reference);
    }

    [Theory]
    [InlineData("Hello")]
    [InlineData("hello world")]
    [InlineData("hello\n")]
    [InlineData("")]
    public void Invalid_tags_are_rejected_naming_the_recipe_line(string tag)
    {
        AssertRecipeError(() => Scratch().Tag(tag, RecipePath, Line), $"Tag(\"{tag}\")", "not a valid image name");
    }

    // ---- tests

    [Fact]
    public void Test_splits_the_command_and_keeps_expectations()
    {
        var test = Scratch().Test("greets", "/bin/sh -c 'echo hi'", "hi", 0, null, RecipePath, Line).Spec.Tests.Single();

        Assert.Equal("greets", test.Name);
        Assert.Equal(["/bin/sh", "-c", "echo hi"], test.Command!.Value.ToArray());
        Assert.Equal("hi", test.ExpectOutput);
        Assert.Equal(new SourceLocation(RecipePath, Line), test.Origin);
        Assert.Empty(Scratch().Test("default", "").Spec.Tests.Single().Command!.Value);
    }

    [Fact]
    public void Test_with_an_unclosed_quote_names_the_test_and_the_line()
    {
        AssertRecipeError(() => Scratch().Test("broken", "echo 'hi", null, 0, null, RecipePath, Line), "Test(\"broken\")", "not closed");
    }

    [Fact]
    public void Test_names_must_be_unique()
    {
        var b = Scratch().Test("t", "/bin/true");

        AssertRecipeError(() => b.Test("t", "/bin/false", null, 1, null, RecipePath, Line), "Test(\"t\")", "already has a test");
        Assert.Single(b.Spec.Tests);
    }

    [Fact]
    public void Path_tests_have_derived_names_that_must_be_unique()
    {
        var b = Scratch().TestPathExists("/bin/sh").TestPathMissing("/bin/sh").TestPathMissing("/etc/shadow");

        Assert.Equal(["/bin/sh exists", "/bin/sh is absent", "/etc/shadow is absent"], b.Spec.Tests.Select(t => t.Name));
        Assert.Equal([true, false, false], b.Spec.Tests.Select(t => t.PathShouldExist));
        Assert.All(b.Spec.Tests, t => Assert.Null(t.Command));
        AssertRecipeError(() => b.TestPathExists("/bin/sh", RecipePath, Line), "/bin/sh exists", "already has a test");
        AssertRecipeError(() => b.Test("/bin/sh exists", "x", null, 0, null, RecipePath, Line), "already has a test");
    }

    // ---- other argument checks

    [Theory]
    [InlineData("")]
    [InlineData("/usr/lib/libfoo.so.1")]
    [InlineData("libfoo")]
    public void AddLibrary_needs_a_soname(string soname)
    {
        AssertRecipeError(() => Scratch().AddLibrary(soname, RecipePath, Line), $"AddLibrary(\"{soname}\")");
    }

    [Theory]
    [InlineData("")]
    [InlineData("/Europe/Paris")]
    [InlineData("Europe/../Paris")]
    [InlineData("Europe//Paris")]
    public void WithTimezone_needs_a_zone_name(string zone)
    {
        AssertRecipeError(() => Scratch().WithTimezone(zone, RecipePath, Line), $"WithTimezone(\"{zone}\")");
    }

    [Fact]
    public void Trace_needs_a_program_added_before()
    {
        AssertRecipeError(() => Scratch().Trace("--version", RecipePath, Line), "AddBinary first");

        var step = (TraceStep)Scratch().AddBinary("/bin/a").AddBinary("tool").Trace(" -c  x ").Spec.Steps.Last();
        Assert.Equal("/tmp/x/tool", step.Program);
        Assert.Equal(["-c", "x"], step.Arguments.ToArray());
    }

    [Fact]
    public void A_second_string_argument_to_a_list_call_is_caught()
    {
        // .Trace("-c", "import json") binds "import json" to the caller-file parameter.
        var e = Assert.Throws<TinyImageException>(() => Scratch().AddBinary("/bin/python3").Trace("-c", "import json", Line));
        Assert.Contains("Trace([\"-c\", \"import json\"])", e.Message);
        Assert.Throws<TinyImageException>(() => Scratch().WithGconv("latin1", "CP1252", Line));
        Assert.Throws<TinyImageException>(() => Scratch().WithTerminfo("xterm", "rxvt", Line));
    }

    [Fact]
    public void WithLocale_sets_LANG_unless_asked_not_to()
    {
        Assert.Equal(["LANG=C.utf8"], Scratch().WithLocale().Spec.Config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Empty(Scratch().WithLocale("C.utf8", setLang: false).Spec.Config.Env);
        AssertRecipeError(() => Scratch().WithLocale("../x", true, RecipePath, Line), "WithLocale(\"../x\")");
    }
}
