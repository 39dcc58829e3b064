using System.Text.RegularExpressions;

namespace TinyImage.Core.Presets;

/// <summary>
/// The programs whose own data has a standard layout, in one place: adding a program is adding an entry here (and a
/// DSL call naming it). The build recognises each program among an image's ELF files: without its data it hints the
/// call (a runtime need of kind InterpreterData), and the call or WithRuntimeNeeds adds the directories, less tests and
/// tools, with the library closure of the ELF files in them.
/// </summary>
public static partial class ProgramPresets
{
    /// <summary>Every preset, by <see cref="ProgramPreset.Name"/>.</summary>
    public static IReadOnlyList<ProgramPreset> All { get; } =
    [
        // PREFIX/bin/pythonX.Y reads PREFIX/lib/pythonX.Y (encodings first, at start-up), its C modules in lib-dynload.
        new("python", ".WithPythonStdlib()", Python(), "python {version}",
        [
            new(["{prefix}/lib/python{version}"],
                ["test", "tests", "idle_test", "idlelib", "config-[0-9]*", "ensurepip", "turtledemo", "site-packages", "dist-packages",
                 "lib-dynload/_test*", "lib-dynload/_ctypes_test*", "lib-dynload/_xxtestfuzz*", "lib-dynload/xxlimited*"])
            {
                // tkinter imports _tkinter, which links Tk: without it (Debian's python3-tk) neither imports.
                ExcludeUnless = [new(["tkinter", "turtle.py"], "lib-dynload", "_tkinter.*")],
            },
        ], "encodings/__init__.py", "/usr/bin/python3"),
        // git init copies PREFIX/share/git-core/templates; git runs its helpers (git-remote-https, git-submodule...)
        // from its exec path, PREFIX/lib/git-core on Debian, PREFIX/libexec/git-core when built from source.
        new("git", ".WithGitCore()", Git(), "git",
        [
            new(["{prefix}/share/git-core/templates"], []),
            new(["{prefix}/lib/git-core", "{prefix}/libexec/git-core"], ["git-gui*", "git-citool"]),
        ], "description", "/usr/bin/git"),
        // perl's @INC on Debian: the modules every script uses (strict, warnings) in PREFIX/lib/ARCH/perl-base, the other
        // core modules in PREFIX/share/perl/5.X and PREFIX/lib/ARCH/perl/5.X (with their C parts); built from source,
        // PREFIX/lib/perl5/5.X.Y. Third-party modules (share/perl5, site_perl) are not perl's own.
        new("perl", ".WithPerlModules()", Perl(), "perl",
        [
            new(["{prefix}/lib/*/perl-base", "{prefix}/lib/perl5/5.*"], ["*.pod", "pod"]),
            new(["{prefix}/share/perl/5.*"], ["*.pod", "pod"], Optional: true),
            new(["{prefix}/lib/*/perl/5.*"], ["*.pod", "pod", "CORE"], Optional: true),
        ], "strict.pm", "/usr/bin/perl"),
        // Debian's postgres X: its catalogs and the SQL initdb runs in PREFIX/share/postgresql/X, its modules (plpgsql,
        // dict_snowball, the encoding converters) in PREFIX/lib/postgresql/X/lib. llvmjit.so, the JIT, would bring
        // libLLVM (about 110 MB): left out, as is the bitcode it compiles from; postgres then runs without JIT.
        new("postgres", ".WithPostgresData()", Postgres(), "postgres {version}",
        [
            new(["{prefix}/share/postgresql/{version}"], ["man"]),
            new(["{prefix}/lib/postgresql/{version}/lib"], ["llvmjit*", "bitcode"]),
        ], "postgres.bki", "/usr/lib/postgresql/15/bin/postgres"),
    ];

    /// <summary>The preset named <paramref name="name"/>.</summary>
    public static ProgramPreset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name) ?? throw new ArgumentException($"no program preset named '{name}'", nameof(name));

    /// <summary>The preset whose program is at <paramref name="imagePath"/>, with the match, or null.</summary>
    public static (ProgramPreset Preset, Match Match)? Recognise(string imagePath) =>
        All.Select(p => (Preset: p, Match: p.Recognise(imagePath))).FirstOrDefault(r => r.Match is not null) is { Match: { } m } found ? (found.Preset, m) : null;

    [GeneratedRegex(@"^(?<prefix>(/[^/]+)*)/bin/python(?<version>[0-9]+\.[0-9]+)$")]
    private static partial Regex Python();

    [GeneratedRegex(@"^(?<prefix>(/[^/]+)*)/bin/git$")]
    private static partial Regex Git();

    [GeneratedRegex(@"^(?<prefix>(/[^/]+)*)/bin/perl(5\.[0-9]+\.[0-9]+)?$")]
    private static partial Regex Perl();

    [GeneratedRegex(@"^(?<prefix>(/[^/]+)*)/lib/postgresql/(?<version>[0-9]+)/bin/(postgres|initdb)$")]
    private static partial Regex Postgres();
}
