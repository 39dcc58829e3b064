using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>
/// An image being described. Every call returns a new builder and leaves this one unchanged, so a
/// partly built image can be shared: <c>var b = From.Scratch().AddBinary("/bin/sh"); b.Tag("a"); b.Tag("b");</c>
/// defines two images. Modes are written with octal digits: <c>755</c> or <c>0755</c> means rwxr-xr-x.
/// Relative host paths are relative to the recipe's directory.
/// </summary>
public sealed partial class ImageBuilder
{
    private readonly Recipe _recipe;

    internal ImageBuilder(Recipe recipe, ImageSpec spec)
    {
        _recipe = recipe;
        Spec = spec;
    }

    /// <summary>What this builder describes so far.</summary>
    public ImageSpec Spec { get; }

    /// <summary>
    /// Adds an executable: an ELF program, or a <c>#!</c> script, which brings its interpreter.
    /// <paramref name="destination"/> defaults to the source path when it is absolute, else to /NAME.
    /// Call <see cref="WithLibs"/> afterwards to add the loader and shared libraries.
    /// </summary>
    public ImageBuilder AddBinary(string source, string? destination = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var (from, tree) = ResolveSource(source);
        var to = destination ?? (Path.IsPathRooted(source) ? source : "/" + Path.GetFileName(from));
        return Step(new AddBinaryStep(from, ImageDestination(to, file, line)) { Tree = tree }, file, line);
    }

    /// <summary>
    /// Takes everything from the root file system <paramref name="directory"/> (a sysroot: a debootstrap'd
    /// tree, an unpacked image of another architecture) instead of the host: absolute paths in later
    /// calls, the loader's search, symlinks and data files all stay inside it. Call it first.
    /// </summary>
    public ImageBuilder Root(string directory, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!Spec.Steps.IsEmpty)
            throw Error(file, line, "Root(...) must come before the files it applies to; call it right after From.Scratch()");
        var root = _recipe.ResolveSource(directory);
        if (!Directory.Exists(root))
            throw Error(file, line, $"Root(\"{directory}\"): '{root}' is not a directory");
        return Derive(Spec with { Root = root, Packages = null, RootImage = null });
    }

    /// <summary>
    /// Takes everything from Debian packages instead of the host: <c>.Root(Debian.Release("bookworm").Install("curl"))</c>.
    /// The packages and what they depend on are unpacked (no maintainer script runs) for the platform being built, at
    /// the versions the recipe's lock file pins. Call it first.
    /// </summary>
    public ImageBuilder Root(DebianPackages packages, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!Spec.Steps.IsEmpty)
            throw Error(file, line, "Root(...) must come before the files it applies to; call it right after From.Scratch()");
        if (packages.Names.IsEmpty)
            throw Error(file, line, "Root(Debian...Install()): name at least one package, e.g. Install(\"curl\")");
        foreach (var name in packages.Names)
            if (!PackageName().IsMatch(name ?? ""))
                throw Error(file, line, $"Install(\"{name}\"): not a Debian package name (lower case letters, digits, + - and ., at least two characters)");
        return Derive(Spec with { Root = null, Packages = packages, RootImage = null });
    }

    /// <summary>
    /// Takes everything from another image's file system instead of the host, without running it:
    /// <c>From.Scratch().Root(From.Image("registry:5000/python:3.12")).AddBinary("/usr/local/bin/python3").WithLibs()</c>
    /// slims a big image to what the program needs. The image (<c>From.Image</c>, <c>From.Archive</c> or <c>From.Layout</c>,
    /// with no steps of its own) is pulled and unpacked once into the cache, for the platform being built. Call it first.
    /// </summary>
    public ImageBuilder Root(ImageBuilder image, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!Spec.Steps.IsEmpty)
            throw Error(file, line, "Root(...) must come before the files it applies to; call it right after From.Scratch()");
        if (image.Spec.Base is not { } source || !image.Spec.Steps.IsEmpty)
            throw Error(file, line, "Root(image): give an image as it is, e.g. Root(From.Image(\"registry:5000/python:3.12\")), not From.Scratch() or one with steps of its own");
        _recipe.Absorb(image); // the root image is not an image of the recipe
        return Derive(Spec with { Root = null, Packages = null, RootImage = source });
    }

    /// <summary>
    /// Leaves out what tells scanners which Debian packages the image's files come from (by default an image with files
    /// of packages holds <c>/var/lib/dpkg/status.d/NAME</c>, <c>NAME.md5sums</c> and the root's <c>/etc/os-release</c>).
    /// </summary>
    public ImageBuilder WithoutPackageMetadata() => Derive(Spec with { PackageMetadata = false });

    /// <summary>
    /// The platforms to build the image for: <c>.Platforms(["linux/amd64", "linux/arm64"])</c>, or one, or a comma list
    /// (<c>"linux/amd64,linux/arm64"</c>, as <c>--platform</c> takes). Files come from each platform's own packages (a
    /// Debian root) or root; the host's files fit only the host's platform. <c>--platform</c> picks among them.
    /// </summary>
    public ImageBuilder Platforms(IEnumerable<string> platforms, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var names = platforms.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (names.Count == 0)
            throw Error(file, line, "Platforms(...): name at least one, e.g. Platforms([\"linux/amd64\", \"linux/arm64\"])");
        try
        {
            return Derive(Spec with { Platforms = [.. names.Select(Platform.Parse).Distinct()] });
        }
        catch (TinyImageException e)
        {
            throw Error(file, line, $"Platforms(...): {e.Message}");
        }
    }

    /// <inheritdoc cref="Platforms(IEnumerable{string}, string, int)"/>
    public ImageBuilder Platforms(string platforms, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Platforms([platforms], file, line);

    // Debian Policy 5.6.7: at least two characters, lower case letters, digits, plus, minus and dots, starting alphanumeric.
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial System.Text.RegularExpressions.Regex PackageName();

    /// <summary>
    /// Puts what <paramref name="build"/> adds in a layer of its own, named <paramref name="name"/>, between the
    /// shared-library layers and the application: <c>.Layer("assets", l => l.AddDirectory("web", "/srv/web"))</c>.
    /// Images whose named layers hold the same files share them.
    /// </summary>
    public ImageBuilder Layer(string name, Func<ImageBuilder, ImageBuilder> build,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw Error(file, line, "Layer(...): give the layer a name, e.g. Layer(\"assets\", l => ...)");
        var inner = build(this);
        if (inner.Spec.Steps.Length < Spec.Steps.Length || !inner.Spec.Steps.Take(Spec.Steps.Length).SequenceEqual(Spec.Steps))
            throw Error(file, line, $"Layer(\"{name}\", ...): the function must extend the builder it is given (l => l.AddFile(...))");
        var steps = Spec.Steps.AddRange(inner.Spec.Steps.Skip(Spec.Steps.Length).Select(s => s with { Layer = s.Layer ?? name }));
        return inner.Derive(inner.Spec with { Steps = steps }); // extends inner, so inner is not an image of its own
    }

    /// <summary>Adds the ELF interpreter and the transitive shared-library closure of every ELF file added so far.</summary>
    public ImageBuilder WithLibs([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithLibsStep(), file, line);

    /// <summary>
    /// Adds a regular file; <paramref name="mode"/> null keeps the host file's mode. <paramref name="owner"/> gives it to a
    /// user (see <see cref="MkDir"/>); null: root.
    /// </summary>
    public ImageBuilder AddFile(string source, string destination, int? mode = null, string? owner = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var (from, tree) = ResolveSource(source);
        return Step(new AddFileStep(from, ImageDestination(destination, file, line), mode is { } m ? Octal(m, file, line) : null)
            { Tree = tree, Owner = Owner("AddFile", destination, owner, file, line) }, file, line);
    }

    /// <summary>
    /// Adds a host directory recursively at <paramref name="destination"/>; symlinks stay symlinks. <paramref name="include"/>
    /// and <paramref name="exclude"/> are glob patterns relative to <paramref name="source"/> (<c>*</c>, <c>?</c>,
    /// <c>[...]</c> in a name, <c>**</c> for any names; a pattern without '/' matches a name at any depth):
    /// <c>.AddDirectory("/usr/lib/python3.11", "/usr/lib/python3.11", exclude: ["test", "__pycache__", "idlelib"])</c>.
    /// <paramref name="owner"/> gives every file, directory and link it copies to a user (see <see cref="MkDir"/>); null: root.
    /// </summary>
    public ImageBuilder AddDirectory(string source, string destination, string[]? include = null, string[]? exclude = null, string? owner = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var (from, tree) = ResolveSource(source);
        foreach (var pattern in (include ?? []).Concat(exclude ?? []))
            if (PathFilter.Problem(pattern) is { } problem)
                throw Error(file, line, $"AddDirectory(\"{source}\"): pattern '{pattern}': {problem}");
        return Step(new AddDirectoryStep(from, ImageDestination(destination, file, line))
            { Tree = tree, Include = include ?? [], Exclude = exclude ?? [], Owner = Owner("AddDirectory", destination, owner, file, line) }, file, line);
    }

    /// <summary>Adds a file holding <paramref name="text"/> (UTF-8); <paramref name="owner"/> gives it to a user (see <see cref="MkDir"/>); null: root.</summary>
    public ImageBuilder AddText(string destination, string text, int mode = 644, string? owner = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new AddTextStep(ImageDestination(destination, file, line), text, Octal(mode, file, line)) { Owner = Owner("AddText", destination, owner, file, line) },
            file, line);

    /// <summary>Adds a symbolic link at <paramref name="path"/> pointing to <paramref name="target"/> (stored as given).</summary>
    public ImageBuilder Symlink(string path, string target,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (string.IsNullOrEmpty(target))
            throw Error(file, line, $"Symlink(\"{path}\", ...): the target is empty; give the path the link points to");
        return Step(new SymlinkStep(ImageDestination(path, file, line), target), file, line);
    }

    /// <summary>
    /// Adds a directory (parents are created as 755, owned by root). <paramref name="owner"/> gives it to a user, as
    /// <c>chown</c> would: <c>"www"</c> (the user's group), <c>"www:www"</c>, or numbers, <c>"1000:1000"</c> (a uid alone:
    /// the same gid). Names are looked up in the /etc/passwd and /etc/group the image ends up with (from
    /// <see cref="WithUser"/>, <see cref="WithPasswd"/>, <see cref="WithRuntimeNeeds"/> or a file the recipe adds there),
    /// wherever the call that adds them is: <c>.MkDir("/var/lib/app", 700, owner: "app").WithUser("app", 1000)</c>.
    /// </summary>
    public ImageBuilder MkDir(string path, int mode = 755, string? owner = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new MkDirStep(ImageDestination(path, file, line), Octal(mode, file, line)) { Owner = Owner("MkDir", path, owner, file, line) }, file, line);

    /// <summary>The owner a call names (null: none), its form checked; names are looked up when the image is assembled.</summary>
    private FileOwner? Owner(string call, string path, string? owner, string file, int line)
    {
        if (owner is null) return null;
        try
        {
            return FileOwner.Parse(owner);
        }
        catch (TinyImageException e)
        {
            throw Error(file, line, $"{call}(\"{path}\"): {e.Message}");
        }
    }

    // ---- What DT_NEEDED never names. Every ELF file these calls add comes with its own library
    // ---- closure at once (no WithLibs needed for it); the program itself still needs WithLibs.

    /// <summary>
    /// Adds name-service support: a minimal /etc/nsswitch.conf (passwd, group, shadow: files; hosts:
    /// files dns; services, protocols: files), the NSS modules it names that the host has
    /// (libnss_files.so.2, libnss_dns.so.2: glibc 2.34+ has both inside libc and these are stubs) with
    /// their closure, and /etc/services and /etc/protocols (package netbase). /etc/hosts,
    /// /etc/resolv.conf and /etc/hostname are not added: Docker mounts them. Accounts come from
    /// <see cref="WithUser"/>. Call it after <see cref="AddBinary"/>: modules are chosen for the first
    /// ELF file's machine.
    /// </summary>
    public ImageBuilder WithNss([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithNssStep(), file, line);

    /// <summary>
    /// Adds iconv's character-set converters (glibc gconv): gconv-modules, gconv-modules.cache and
    /// gconv-modules.d/ from /usr/lib/&lt;multiarch&gt;/gconv, and the module for each of
    /// <paramref name="charset"/> ("ISO-8859-15", "latin1", "CP1252", "EUC-JP"... as iconv accepts
    /// them; UTF-8, ASCII and UCS-2/4 are built into libc and need none), or every module when none is
    /// named. Each module comes with its own closure (e.g. EUC-JP.so needs libJIS.so). Call it after
    /// <see cref="AddBinary"/>. Several sets: <c>.WithGconv(["ISO-8859-15", "CP1252"])</c>.
    /// </summary>
    public ImageBuilder WithGconv(string? charset = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithGconvAt(charset is null ? [] : [charset], file, line);

    /// <summary>Adds iconv's configuration and the modules for several character sets: <c>.WithGconv(["ISO-8859-15", "CP1252"])</c>; see <see cref="WithGconv(string?, string, int)"/>.</summary>
    public ImageBuilder WithGconv(IEnumerable<string> charsets, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithGconvAt([.. charsets], file, line);

    /// <summary>
    /// Adds libgcc_s.so.1 (package libgcc-s1) with its closure: glibc dlopens it for
    /// <c>pthread_cancel</c>, <c>pthread_exit</c> and C++ exception unwinding, and a program that
    /// cancels a thread without it aborts with "libgcc_s.so.1 must be installed for pthread_cancel to work".
    /// </summary>
    public ImageBuilder WithLibgcc([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new AddLibraryStep("libgcc_s.so.1", "libgcc-s1"), file, line);

    /// <summary>
    /// Adds a library that the program dlopens, by SONAME (e.g. "libgcc_s.so.1", "libnss_systemd.so.2"),
    /// found as ld.so finds it (ld.so.conf directories in place of the cache, then the default
    /// directories, with hwcaps subdirectories, skipping other machines' files), with its closure.
    /// </summary>
    public ImageBuilder AddLibrary(string soname, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (soname.Length == 0 || soname.Contains('/') || !soname.Contains(".so", StringComparison.Ordinal))
            throw Error(file, line, $"AddLibrary(\"{soname}\"): give a library's SONAME such as \"libgcc_s.so.1\"; add a file by path with AddFile");
        return Step(new AddLibraryStep(soname), file, line);
    }

    /// <summary>
    /// Adds the CA certificates bundle /etc/ssl/certs/ca-certificates.crt (package ca-certificates) and,
    /// when the host has them, OpenSSL's links to it, /usr/lib/ssl/certs and /usr/lib/ssl/cert.pem. The
    /// standard paths are kept, so no SSL_CERT_FILE is needed.
    /// </summary>
    public ImageBuilder WithCaCertificates([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithCaCertificatesStep(), file, line);

    /// <summary>
    /// <see cref="WithCaCertificates(string, int)"/>, also trusting the PEM certificates <paramref name="extraCertificates"/>
    /// (the recipe's own files, e.g. a company CA), appended to the bundle.
    /// </summary>
    public ImageBuilder WithCaCertificates(IEnumerable<string> extraCertificates, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithCaCertificatesStep { Extra = [.. extraCertificates.Select(c => _recipe.ResolveSource(c))] }, file, line);

    /// <summary>
    /// Adds every time zone: the /usr/share/zoneinfo tree (package tzdata, about 4 MB). No /etc/localtime
    /// is set, so the local time is UTC unless the container sets TZ (e.g. <c>-e TZ=Europe/Paris</c>).
    /// </summary>
    public ImageBuilder WithTimezones([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithTimezonesStep(null), file, line);

    /// <summary>Adds one time zone, e.g. "Europe/Paris", from /usr/share/zoneinfo and makes it the local time: /etc/localtime links to it.</summary>
    public ImageBuilder WithTimezone(string zone, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (zone.Length == 0 || zone.StartsWith('/') || zone.Split('/').Any(p => p is "" or "." or ".."))
            throw Error(file, line, $"WithTimezone(\"{zone}\"): give a zone name such as \"Europe/Paris\" or \"Etc/UTC\"");
        return Step(new WithTimezonesStep(zone), file, line);
    }

    /// <summary>
    /// Adds an account and runs the container as it: /etc/passwd and /etc/group hold root and every
    /// user added so far (shell /sbin/nologin, no passwords), the user gets a home directory /home/NAME
    /// that it owns, and the image's User becomes "uid:gid". <paramref name="gid"/> defaults to the uid.
    /// <c>WithUser("root", 0)</c> writes only root's entries. Add <see cref="WithNss"/> for programs
    /// that read nsswitch.conf; glibc reads /etc/passwd without it.
    /// </summary>
    public ImageBuilder WithUser(string name, int uid, int? gid = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!Core.Build.AccountFiles.IsValidName(name))
            throw Error(file, line, $"WithUser(\"{name}\", ...): a user name is 1-32 characters of a-z, 0-9, _ and -, starting with a letter or _");
        var g = gid ?? uid;
        if (uid < 0 || g < 0)
            throw Error(file, line, $"WithUser(\"{name}\", {uid}, {g}): uid and gid must be 0 or more");
        if (uid == 0 && name != "root")
            throw Error(file, line, $"WithUser(\"{name}\", 0): uid 0 is root; give {name} another uid, e.g. 65532");
        var next = Step(new WithUserStep(name, uid, g), file, line);
        return next.User($"{uid}:{g}");
    }

    /// <summary>
    /// Adds compiled terminfo entries from /etc/terminfo, /lib/terminfo and /usr/share/terminfo (packages
    /// ncurses-base, ncurses-term): the named <paramref name="term"/>; with none, those of a common set
    /// that the host has (ansi, dumb, linux, screen, screen-256color, tmux, tmux-256color, vt100, vt220,
    /// xterm, xterm-256color, xterm-color); "*" adds every entry. Several: <c>.WithTerminfo(["xterm", "rxvt"])</c>.
    /// </summary>
    public ImageBuilder WithTerminfo(string? term = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithTerminfoAt(term is null ? [] : [term], file, line);

    /// <summary>Adds several terminfo entries: <c>.WithTerminfo(["xterm-kitty", "alacritty"])</c>; see <see cref="WithTerminfo(string?, string, int)"/>.</summary>
    public ImageBuilder WithTerminfo(IEnumerable<string> terms, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithTerminfoAt([.. terms], file, line);

    /// <summary>
    /// Adds a compiled locale directory from /usr/lib/locale, "C.utf8" by default (package libc-bin;
    /// "C.UTF-8" finds it too), and, unless <paramref name="setLang"/> is false, sets LANG to
    /// <paramref name="name"/> so programs use it. Locales inside locale-archive must first be compiled to a
    /// directory with <c>localedef --no-archive</c>.
    /// </summary>
    public ImageBuilder WithLocale(string name = "C.utf8", bool setLang = true, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
            throw Error(file, line, $"WithLocale(\"{name}\"): give a locale name such as \"C.utf8\"");
        var next = Step(new WithLocaleStep(name), file, line);
        return setLang ? next.Env("LANG", name) : next;
    }

    /// <summary>
    /// Adds /etc/passwd and /etc/group with root, nobody (65534) and the users <see cref="WithUser"/> added, without changing
    /// the user the container runs as: for programs that look up their own uid (<c>getpwuid</c>: "No user exists for uid 0").
    /// </summary>
    public ImageBuilder WithPasswd([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithPasswdStep(), file, line);

    /// <summary>
    /// Adds what the ELF files added so far need at run time beyond their libraries, read from the symbols they import
    /// and the strings they hold: passwd and group (root, nobody) for getpwuid and friends; nsswitch.conf, services and
    /// protocols for getaddrinfo (<see cref="WithNss"/>); gconv modules for the character sets named next to iconv_open;
    /// /bin/sh for popen and system; time zones for tzset and localtime; the C.utf8 locale for setlocale; libgcc_s for
    /// pthread_cancel; CA certificates for SSL_CTX_set_default_verify_paths; the libraries named next to dlopen. Call it
    /// after <see cref="WithLibs"/>. Without it the build prints a hint for each need, with the call that provides it.
    /// </summary>
    public ImageBuilder WithRuntimeNeeds([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithRuntimeNeedsStep(), file, line);

    /// <summary>
    /// Adds the standard library of the python the image has (added with <see cref="AddBinary"/>: PREFIX/bin/pythonX.Y reads
    /// PREFIX/lib/pythonX.Y), its C modules (lib-dynload) with their library closure, without the tests (test, tests,
    /// the _test* modules), idlelib, turtledemo, ensurepip, config-X.Y (build files), site-packages, and tkinter when
    /// Tk's _tkinter module is not there. <paramref name="bytecode"/> false also leaves out <c>__pycache__</c> (smaller;
    /// python then compiles what it imports at each start). <paramref name="exclude"/> leaves out more, as
    /// AddDirectory's patterns: <c>.WithPythonStdlib(exclude: ["lib2to3", "pydoc_data"])</c>.
    /// </summary>
    public ImageBuilder WithPythonStdlib(bool bytecode = true, string[]? exclude = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithProgramData("python", "WithPythonStdlib", [.. exclude ?? [], .. bytecode ? Array.Empty<string>() : ["__pycache__"]], file, line);

    /// <summary>
    /// Adds what git reads besides its binary: the templates <c>git init</c> copies (PREFIX/share/git-core/templates) and
    /// its exec path (PREFIX/lib/git-core, or PREFIX/libexec/git-core) with the helpers it runs, git-remote-https and
    /// the others, with their library closure; the shell and perl scripts among them need /bin/sh and perl.
    /// <paramref name="exclude"/> leaves out helpers, as AddDirectory's patterns: <c>.WithGitCore(exclude: ["git-daemon", "git-http-*"])</c>.
    /// </summary>
    public ImageBuilder WithGitCore(string[]? exclude = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithProgramData("git", "WithGitCore", exclude ?? [], file, line);

    /// <summary>
    /// Adds perl's own modules for the perl the image has (Debian's layout: PREFIX/lib/ARCH/perl-base with strict and
    /// warnings, PREFIX/share/perl/5.X and PREFIX/lib/ARCH/perl/5.X with their C parts and those parts' library closure;
    /// built from source: PREFIX/lib/perl5/5.X.Y), without pod documentation and the C headers (CORE). Third-party
    /// modules (share/perl5, site_perl) are not added. <paramref name="exclude"/> leaves out more, as AddDirectory's
    /// patterns: <c>.WithPerlModules(exclude: ["Encode/JP*", "CPAN*"])</c>.
    /// </summary>
    public ImageBuilder WithPerlModules(string[]? exclude = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithProgramData("perl", "WithPerlModules", exclude ?? [], file, line);

    /// <summary>
    /// Adds what Debian's postgres X (and its initdb) read besides their binaries: PREFIX/share/postgresql/X (catalogs,
    /// the SQL initdb runs, time zone sets, text search data, extensions' control files) and PREFIX/lib/postgresql/X/lib
    /// (plpgsql, dict_snowball, encoding converters, contrib modules) with their library closure, without the manual
    /// pages and llvmjit.so with its bitcode (the JIT would bring libLLVM, about 110 MB).
    /// <paramref name="exclude"/> leaves out more, as AddDirectory's patterns.
    /// </summary>
    public ImageBuilder WithPostgresData(string[]? exclude = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        WithProgramData("postgres", "WithPostgresData", exclude ?? [], file, line);

    /// <summary>
    /// Makes runtime needs that the image leaves unmet (the hints a build prints, see <see cref="WithRuntimeNeeds"/>) fail
    /// the build, as <c>tinyrun --strict</c> does for every image.
    /// </summary>
    public ImageBuilder Strict() => Derive(Spec with { Strict = true });

    /// <summary>Adds /tmp with mode 1777 (world-writable, sticky), as programs that write temporary files expect.</summary>
    public ImageBuilder WithTmp([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new MkDirStep("/tmp", Convert.ToInt32("1777", 8)), file, line);

    /// <summary>
    /// Runs the program last added with <see cref="AddBinary"/> once, on the host, at build time, under
    /// <c>strace -f -e trace=%file,execve</c> (package strace) with <paramref name="arguments"/> (split at
    /// white space, no shell; for an argument with spaces pass a list, <c>.Trace(["-c", "import ssl"])</c>;
    /// stdin is empty, the working directory an empty temporary one, 60 s at
    /// most), and adds the files it opened for reading or ran under /usr, /etc, /lib*, /bin, /sbin and
    /// /opt, at the paths it used, ELF files with their closure. Left out: /proc, /sys, /dev, /tmp, the
    /// working directory, the host's ld.so.cache, accounts (/etc/passwd, group, shadow: use
    /// <see cref="WithUser"/>) and what Docker mounts (/etc/hosts, resolv.conf, hostname). Only what this
    /// run touches is found, so choose arguments that exercise what the image will do. This is the only
    /// call that runs a program.
    /// </summary>
    public ImageBuilder Trace(string arguments = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        TraceAt(arguments.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries), file, line);

    /// <summary>Traces the last added program with these arguments, each passed as it is; see <see cref="Trace(string, string, int)"/>.</summary>
    public ImageBuilder Trace(IEnumerable<string> arguments, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        TraceAt([.. arguments], file, line);

    /// <summary>
    /// Adds a published .NET app, the output directory of <c>dotnet publish -o DIR</c>, at <paramref name="destination"/>,
    /// with what it runs on. Framework-dependent (its runtimeconfig names frameworks): the shared frameworks from the
    /// host's .NET installation (<paramref name="dotnetRoot"/>, else DOTNET_ROOT, else the dotnet on PATH) at the version
    /// the app rolls forward to, hostfxr and the dotnet muxer, in /usr/share/dotnet (DOTNET_ROOT is set). Self-contained,
    /// single-file and Native AOT apps carry their runtime. Then the library closure of every native file, and what the
    /// runtime loads at run time: ICU unless the app is published with InvariantGlobalization (or
    /// <paramref name="invariantGlobalization"/> is true), OpenSSL when the app uses cryptography or TLS, time zone data
    /// unless InvariantTimezone, CA certificates when it makes TLS connections; the native libraries of NuGet packages
    /// for this platform (runtimes/linux-x64/native), not other platforms'. The LTTng trace provider, debugger and dump
    /// libraries, standalone GCs and Native AOT's NAME.dbg are left out unless <paramref name="diagnostics"/>. The entrypoint (the apphost, or
    /// <c>dotnet NAME.dll</c>) and working directory are set unless the recipe sets them, and the container runs as the
    /// user app (uid 1654, as in Microsoft's images) unless <paramref name="nonRootUser"/> is false. <paramref name="openSsl"/>
    /// false leaves OpenSSL and the CA certificates out for an app that serves plain HTTP and does no cryptography (it
    /// fails at its first TLS or cryptographic call); true adds them whatever the app references. Of the runtime's
    /// assemblies (the shared frameworks, or a self-contained app's runtime pack) only those the app's assemblies reach
    /// through their references and the names in their strings go in, with the deps.json files rewritten to match;
    /// <paramref name="wholeFramework"/> true keeps them all (for an app that loads assemblies by names it builds at run time).
    /// <paramref name="trimmedPublish"/>, for a framework-dependent app that trims without warnings, is a trimmed
    /// self-contained publish of the same app (<c>dotnet publish -r linux-x64 --self-contained -p:PublishTrimmed=true -o DIR</c>):
    /// then only the framework assemblies the trimmer kept there go in (unmodified, with the assemblies that forward the types they reference), and
    /// the app's runtimeconfig gets the feature switches the trimmer assumed.
    /// <paramref name="gssapi"/> true adds GSSAPI (libgssapi_krb5.so.2), which the runtime loads only for Negotiate
    /// (Kerberos, NTLM) authentication.
    /// </summary>
    public ImageBuilder AddDotnetApp(string publishDirectory, string destination = "/app", bool nonRootUser = true, string? dotnetRoot = null,
        bool invariantGlobalization = false, bool? openSsl = null, bool diagnostics = false, bool wholeFramework = false, bool gssapi = false,
        string? trimmedPublish = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var (from, tree) = ResolveSource(publishDirectory);
        var next = Step(new AddDotnetAppStep(from, ImageDestination(destination, file, line))
        {
            Tree = tree, DotnetRoot = dotnetRoot is null ? null : _recipe.ResolveSource(dotnetRoot),
            InvariantGlobalization = invariantGlobalization, OpenSsl = openSsl, Diagnostics = diagnostics, WholeFramework = wholeFramework, Gssapi = gssapi,
            TrimmedPublish = trimmedPublish is null ? null : _recipe.ResolveSource(trimmedPublish),
        }, file, line);
        return nonRootUser ? next.WithUser("app", DotnetAppUid, file: file, line: line) : next;
    }

    /// <summary>The uid (and gid) of the user "app" in Microsoft's .NET images.</summary>
    private const int DotnetAppUid = 1654;

    /// <summary>Sets the program the container runs.</summary>
    public ImageBuilder Entrypoint(params string[] command) => Configure(c => c with { Entrypoint = [.. command] });

    /// <summary>Sets the default arguments (or, without an entrypoint, the default command).</summary>
    public ImageBuilder Cmd(params string[] command) => Configure(c => c with { Cmd = [.. command] });

    /// <summary>Sets an environment variable; setting it again replaces the value.</summary>
    public ImageBuilder Env(string name, string value)
    {
        if (name.Length == 0 || name.Contains('='))
            throw new TinyImageException($"Env(\"{name}\", ...): a variable name must be non-empty and contain no '='");
        return Configure(c =>
        {
            var index = c.Env.IndexOf(c.Env.FirstOrDefault(kv => kv.Key == name));
            var entry = KeyValuePair.Create(name, value);
            return c with { Env = c.Env.Any(kv => kv.Key == name) ? c.Env.SetItem(index, entry) : c.Env.Add(entry) };
        });
    }

    /// <summary>Sets the working directory of the container.</summary>
    public ImageBuilder WorkDir(string path) =>
        path.StartsWith('/') ? Configure(c => c with { WorkingDir = ImagePath.Normalize(path) })
            : throw new TinyImageException($"WorkDir(\"{path}\"): the working directory must be an absolute path");

    /// <summary>Sets the user the container runs as: a name, "uid", or "uid:gid".</summary>
    public ImageBuilder User(string user) => Configure(c => c with { User = user });

    /// <summary>Sets the numeric user (and group) the container runs as.</summary>
    public ImageBuilder User(int uid, int? gid = null) => User(gid is { } g ? $"{uid}:{g}" : $"{uid}");

    /// <summary>Declares a port the container listens on.</summary>
    public ImageBuilder Expose(int port, string protocol = "tcp")
    {
        if (port is < 1 or > 65535 || protocol is not ("tcp" or "udp" or "sctp"))
            throw new TinyImageException($"Expose({port}, \"{protocol}\"): the port must be 1-65535 and the protocol tcp, udp or sctp");
        return Configure(c => c with { ExposedPorts = c.ExposedPorts.Add($"{port}/{protocol}") });
    }

    /// <summary>Sets a label of the image.</summary>
    public ImageBuilder Label(string key, string value) => Configure(c => c with { Labels = c.Labels.SetItem(key, value) });

    /// <summary>
    /// Declares a test that <c>tinyrun test</c> runs in a container of the image (no network):
    /// <paramref name="command"/> is split like a shell would (quotes, backslashes) and run as the
    /// whole command line; "" runs the image's entrypoint and command. The exit code must be
    /// <paramref name="expectExitCode"/>, and standard output must equal <paramref name="expectOutput"/>
    /// (trailing white space ignored) and contain <paramref name="expectOutputContains"/>, when given.
    /// </summary>
    public ImageBuilder Test(string name, string command, string? expectOutput = null, int expectExitCode = 0,
        string? expectOutputContains = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ImmutableArray<string> argv;
        try { argv = CommandLine.Split(command); }
        catch (TinyImageException e) { throw Error(file, line, $"Test(\"{name}\"): {e.Message}"); }
        return AddTest(new ImageTest
        {
            Name = name, Command = argv, ExpectOutput = expectOutput, ExpectOutputContains = expectOutputContains,
            ExpectExitCode = expectExitCode, Origin = _recipe.Locate(file, line),
        }, file, line);
    }

    /// <summary>Declares a test that <paramref name="path"/> exists in the image (checked without running anything).</summary>
    public ImageBuilder TestPathExists(string path, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        AddTest(new ImageTest { Name = $"{path} exists", Path = ImageDestination(path, file, line), PathShouldExist = true, Origin = _recipe.Locate(file, line) }, file, line);

    /// <summary>Declares a test that <paramref name="path"/> does not exist in the image.</summary>
    public ImageBuilder TestPathMissing(string path, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        AddTest(new ImageTest { Name = $"{path} is absent", Path = ImageDestination(path, file, line), PathShouldExist = false, Origin = _recipe.Locate(file, line) }, file, line);

    private ImageBuilder AddTest(ImageTest test, string file, int line)
    {
        if (Spec.Tests.Any(t => t.Name == test.Name))
            throw Error(file, line, $"Test(\"{test.Name}\"): the image already has a test with this name; give each test its own name");
        return Derive(Spec with { Tests = Spec.Tests.Add(test) });
    }

    /// <summary>Names the image, e.g. "hello:latest" or "registry.example:5000/team/app:1.2".</summary>
    public ImageBuilder Tag(string reference, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!ImageReference.TryParse(reference, out var parsed, out var problem))
            throw Error(file, line, $"Tag(\"{reference}\"): {problem}");
        return Derive(Spec with { Reference = parsed.ToString() });
    }

    private ImageBuilder WithGconvAt(string[] charsets, string file, int line)
    {
        RejectSecondString("WithGconv", "[\"ISO-8859-15\", \"CP1252\"]", file, line);
        if (charsets.FirstOrDefault(c => string.IsNullOrWhiteSpace(c)) is not null)
            throw Error(file, line, "WithGconv: a character set name is empty; name sets as iconv does, e.g. \"ISO-8859-15\", or give none for all");
        return Step(new WithGconvStep([.. charsets]), file, line);
    }

    private ImageBuilder WithProgramData(string preset, string call, string[] exclude, string file, int line)
    {
        foreach (var pattern in exclude)
            if (PathFilter.Problem(pattern) is { } problem)
                throw Error(file, line, $"{call}: pattern '{pattern}': {problem}");
        return Step(new WithProgramDataStep(preset) { Exclude = exclude }, file, line);
    }

    private ImageBuilder WithTerminfoAt(string[] terms, string file, int line)
    {
        RejectSecondString("WithTerminfo", "[\"xterm\", \"rxvt\"]", file, line);
        if (terms.FirstOrDefault(t => t.Length == 0 || t.Contains('/') || t is "." or "..") is { } bad)
            throw Error(file, line, $"WithTerminfo(\"{bad}\"): give terminal names such as \"xterm-256color\", or \"*\" for all");
        if (terms.Contains("*") && terms.Length > 1)
            throw Error(file, line, "WithTerminfo: \"*\" already adds every entry; give it alone");
        return Step(new WithTerminfoStep([.. terms]), file, line);
    }

    private ImageBuilder TraceAt(string[] arguments, string file, int line)
    {
        RejectSecondString("Trace", "[\"-c\", \"import json\"]", file, line);
        var program = Spec.Steps.OfType<AddBinaryStep>().LastOrDefault()
            ?? throw Error(file, line, "Trace: add the program to trace with AddBinary first; Trace runs the last one added");
        return Step(new TraceStep(program.Source, [.. arguments]), file, line);
    }

    /// <summary>
    /// <c>.Trace("-c", "x")</c> compiles, binding "x" to the caller-file parameter; a caller file is a
    /// rooted .csx or .cs path, so anything else is a second argument given by mistake.
    /// </summary>
    private void RejectSecondString(string call, string example, string file, int line)
    {
        if (file.Length > 0 && !(Path.IsPathRooted(file) && (file.EndsWith(".csx", StringComparison.Ordinal) || file.EndsWith(".cs", StringComparison.Ordinal))))
            throw Error("", line, $"{call}: give several values as one list, e.g. {call}({example}), not as separate arguments");
    }

    /// <summary>
    /// Where a source is: an absolute path is in the image's root (the host's "/" unless <see cref="Root"/> is set) and
    /// stays a path inside it, read through it; a relative path is one of the recipe's own files, a host path.
    /// </summary>
    private (string Path, SourceTree Tree) ResolveSource(string source) =>
        Path.IsPathRooted(source)
            ? (Spec.Root is null ? Path.GetFullPath(source) : ImagePath.Normalize(source), SourceTree.Root)
            : (_recipe.ResolveSource(source), SourceTree.Recipe);

    private ImageBuilder Step(BuildStep step, string file, int line) =>
        Derive(Spec with { Steps = Spec.Steps.Add(step with { Origin = _recipe.Locate(file, line) }) });

    private ImageBuilder Configure(Func<ImageConfig, ImageConfig> change) => Derive(Spec with { Config = change(Spec.Config) });

    private ImageBuilder Derive(ImageSpec spec) => _recipe.Register(new ImageBuilder(_recipe, spec), this);

    private string ImageDestination(string path, string file, int line) =>
        path.StartsWith('/') ? ImagePath.Normalize(path)
            : throw Error(file, line, $"'{path}': a path in the image must be absolute (start with '/')");

    private int Octal(int digits, string file, int line)
    {
        var text = digits.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (digits < 0 || digits > 7777 || text.Any(ch => ch > '7'))
            throw Error(file, line, $"mode {digits}: write a mode with octal digits, e.g. 755 or 644");
        return Convert.ToInt32(text, 8);
    }

    private TinyImageException Error(string file, int line, string message) =>
        new(SourceLocation.Prefix(_recipe.Locate(file, line), message));
}
