using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary>
/// Runtime needs read from a program's imports and strings: the hints a build prints (once per need, never changing the
/// image), what <c>WithRuntimeNeeds</c> adds, and strict builds.
/// </summary>
public sealed class RuntimeNeedsTests(NeedsProgram program) : IClassFixture<NeedsProgram>
{
    private static readonly string[] ExpectedHints =
    [
        "{0} imports getpwnam: add .WithUser(...) or .WithPasswd()",
        "{0} imports getaddrinfo: add .WithNss()",
        "{0} imports iconv_open: add .WithGconv(\"ISO-8859-1\")",
        "{0} imports popen: add .AddBinary(\"/bin/sh\") before .WithLibs()",
        "{0} imports dlopen and names libz.so.1: add .AddLibrary(\"libz.so.1\")",
    ];

    [Fact]
    public void The_scanner_reads_each_need_from_the_program()
    {
        var needs = new RuntimeNeedScanner(new ResolverOptions()).Scan([("/prog", program.Path)]);
        Assert.Equal(ExpectedHints.Select(h => string.Format(h, "/prog")), needs.Select(n => n.ToString()));
    }

    [Fact]
    public void The_scanner_gives_the_same_needs_from_the_strings_it_remembered_and_reads_them_from_there()
    {
        using var dir = new TempDirectory();
        var memo = new FileHashMemo(dir.Combine("memo")) { Time = new Layers.MinuteLater() }; // the program, just built, has settled
        IReadOnlyList<string> Scan() => [.. new RuntimeNeedScanner(new ResolverOptions(), memo).Scan([("/prog", program.Path)]).Select(n => n.ToString())];
        var expected = ExpectedHints.Select(h => string.Format(h, "/prog")).ToList();

        Assert.Equal(expected, Scan()); // read from the file, and remembered
        var entry = Assert.Single(Directory.GetFiles(dir.Combine("memo")));
        Assert.Equal(expected, Scan()); // from what was remembered

        // Remembered under the file's stamp, the strings are not read from the file again: another library named there is
        // the one hinted at. An entry whose count does not match its lines is not believed.
        var otherLibrary = File.ReadAllText(entry).Replace("\nlibz.so.1\n", "\nlibm.so.6\n", StringComparison.Ordinal);
        File.WriteAllText(entry, otherLibrary);
        Assert.Contains("/prog imports dlopen and names libm.so.6: add .AddLibrary(\"libm.so.6\")", Scan());
        var firstLine = otherLibrary.IndexOf('\n', StringComparison.Ordinal);
        File.WriteAllText(entry, (int.Parse(otherLibrary[..firstLine], System.Globalization.CultureInfo.InvariantCulture) + 1) + otherLibrary[firstLine..]);
        Assert.Equal(expected, Scan());
        File.WriteAllText(entry, otherLibrary.Replace("\nlibm.so.6\n", "\nnot a name\n", StringComparison.Ordinal)); // no string a scan keeps
        Assert.Equal(expected, Scan());
    }

    [Fact]
    public async Task A_build_hints_each_unmet_need_once_and_the_hints_do_not_change_the_image()
    {
        using var dir = new TempDirectory();
        var hints = new List<string>();
        var spec = Program(new WithLibsStep());
        var withHints = await Build(spec, dir.Combine("a.tar"), hints.Add);
        var silent = await Build(spec, dir.Combine("b.tar"), _ => { });

        Assert.Equal(ExpectedHints.Select(h => "hint: " + string.Format(h, "/app/prog")), hints);
        Assert.Equal(silent.ManifestDigest, withHints.ManifestDigest);
    }

    [Fact]
    public void WithRuntimeNeeds_provides_each_need_with_the_smallest_content()
    {
        var tree = new TreeAssembler(new ResolverOptions()).Assemble(Program(new WithLibsStep(), new WithRuntimeNeedsStep())).Tree;
        var image = new ImageView(tree);

        Assert.Equal("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/home/nobody:/sbin/nologin\n",
            System.Text.Encoding.UTF8.GetString(image.Follow("/etc/passwd")!.Content!));
        Assert.True(image.IsFile("/etc/services") && image.IsFile("/etc/protocols") && image.IsFile("/etc/nsswitch.conf"));
        Assert.True(image.IsFile("/bin/sh"));
        Assert.True(image.AnyPath(p => p.EndsWith("/libz.so.1", StringComparison.Ordinal)));
        Assert.True(image.AnyPath(p => p.EndsWith("/gconv/ISO8859-1.so", StringComparison.Ordinal)));
        Assert.False(image.AnyPath(p => p.EndsWith("/gconv/ISO8859-15.so", StringComparison.Ordinal)), "only the named character set's module");
        Assert.Empty(RuntimeNeeds.Unmet(image, new RuntimeNeedScanner(new ResolverOptions()).Scan(image.ElfFiles())));
    }

    [Fact]
    public void WithRuntimeNeeds_adds_no_shell_to_a_program_that_runs_none()
    {
        var tree = new TreeAssembler(new ResolverOptions()).Assemble(new ImageSpec
        {
            Steps = [new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep(), new WithRuntimeNeedsStep()],
        }).Tree;
        Assert.False(new ImageView(tree).IsFile("/bin/sh"));
        Assert.False(new ImageView(tree).IsFile("/etc/passwd"));
    }

    [Fact]
    public void A_shell_seen_only_as_an_exec_of_bin_sh_is_a_hint_that_WithRuntimeNeeds_does_not_act_on()
    {
        var tree = new TreeAssembler(new ResolverOptions()).Assemble(new ImageSpec
        {
            Steps = [new AddBinaryStep("/usr/bin/bash", "/usr/bin/bash"), new WithLibsStep(), new WithRuntimeNeedsStep()],
        }).Tree;
        var image = new ImageView(tree);
        Assert.False(image.IsFile("/bin/sh"));
        var shell = Assert.Single(RuntimeNeeds.Unmet(image, new RuntimeNeedScanner(new ResolverOptions()).Scan(image.ElfFiles())), n => n.Kind == RuntimeNeedKind.Shell);
        Assert.Equal(RuntimeNeedKind.Shell, shell.Kind);
        Assert.StartsWith("exec", shell.Symbol);
    }

    [Fact]
    public void A_librarys_dlopen_and_iconv_strings_are_not_needs()
    {
        // libselinux names libsepol next to dlopen, libunistring a dozen character sets next to iconv_open.
        var libraries = new[] { "libselinux.so.1", "libunistring.so.2" }.Select(l => "/usr/lib/x86_64-linux-gnu/" + l).ToList();
        foreach (var library in libraries) Assert.True(File.Exists(library), $"{library} is missing: the test needs a Debian x86_64 host");
        var needs = new RuntimeNeedScanner(new ResolverOptions()).Scan(libraries.Select(l => (l, l)));
        Assert.DoesNotContain(needs, n => n.Kind is RuntimeNeedKind.Library or RuntimeNeedKind.Gconv);
    }

    [Fact]
    public async Task Python_without_its_standard_library_gets_a_hint_naming_its_preset()
    {
        Assert.True(File.Exists("/usr/bin/python3.11"), "the test needs Debian 12's python3.11");
        using var dir = new TempDirectory();
        var hints = new List<string>();
        await Build(new ImageSpec { Steps = [new AddBinaryStep("/usr/bin/python3", "/usr/bin/python3"), new WithLibsStep()] }, dir.Combine("a.tar"), hints.Add);
        Assert.Contains("hint: /usr/bin/python3.11 is python 3.11: add .WithPythonStdlib()", hints);

        hints.Clear();
        await Build(new ImageSpec { Steps = [new AddBinaryStep("/usr/bin/python3", "/usr/bin/python3"), new WithLibsStep(),
            new AddDirectoryStep("/usr/lib/python3.11/encodings", "/usr/lib/python3.11/encodings")] }, dir.Combine("b.tar"), hints.Add);
        Assert.DoesNotContain(hints, h => h.Contains("is python", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Strict_makes_unmet_needs_one_error_naming_them()
    {
        using var dir = new TempDirectory();
        var hints = new List<string>();
        var error = await Assert.ThrowsAsync<TinyImageException>(() => Build(Program(new WithLibsStep()) with { Strict = true }, dir.Combine("a.tar"), hints.Add));
        Assert.StartsWith("unmet runtime needs (strict): /app/prog imports getpwnam: add .WithUser(...) or .WithPasswd(); /app/prog imports getaddrinfo:", error.Message);
        Assert.EndsWith("add these calls, or .WithRuntimeNeeds() for all", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(File.Exists(dir.Combine("a.tar")));

        var strictOptions = await Assert.ThrowsAsync<TinyImageException>(() => Build(Program(new WithLibsStep()), dir.Combine("b.tar"), hints.Add, strict: true));
        Assert.Equal(error.Message, strictOptions.Message);

        await Build(Program(new WithLibsStep(), new WithRuntimeNeedsStep()) with { Strict = true }, dir.Combine("c.tar"), hints.Add);
        Assert.Empty(hints);
    }

    private ImageSpec Program(params BuildStep[] steps) =>
        new() { Steps = [new AddBinaryStep(program.Path, "/app/prog"), .. steps], Config = new ImageConfig { Entrypoint = ["/app/prog"] } };

    private static Task<BuiltImage> Build(ImageSpec spec, string output, Action<string> hint, bool strict = false) =>
        new ImagePipeline(new ImagePipelineOptions { Hint = hint, Strict = strict }).BuildAsync(spec, ImageReference.Parse("needs:1"), output, CancellationToken.None);
}
