using System.Collections.Frozen;

namespace TinyImage.Core.Needs;

/// <summary>
/// The one table from imported symbols to what a program needs at run time beyond DT_NEEDED, and for each need how
/// the image is checked for it and which recipe call provides it. Adding a symbol is adding an entry here.
/// </summary>
public static class RuntimeNeedTable
{
    /// <summary>The path every shell need is about.</summary>
    public const string ShellPath = "/bin/sh";

    /// <summary>The need that <paramref name="symbol"/> shows by itself being imported, or null.</summary>
    /// <remarks>A switch, not a frozen dictionary: building one JIT-compiles some 50 generic methods at every start (issue 10).</remarks>
    public static RuntimeNeedKind? KindOf(string symbol) => symbol switch
    {
        // glibc reads /etc/passwd and /etc/group through NSS ("No user exists for uid 0").
        "getpwuid" or "getpwuid_r" or "getpwnam" or "getpwnam_r" or "getpwent" or "getpwent_r" or "getgrgid"
            or "getgrgid_r" or "getgrnam" or "getgrnam_r" or "getgrent" or "getgrouplist" or "initgroups"
            or "getlogin" or "getlogin_r" or "cuserid" => RuntimeNeedKind.Accounts,
        // Service and protocol names come from /etc/services and /etc/protocols ("Servname not supported").
        "getaddrinfo" or "getnameinfo" or "gethostbyname" or "gethostbyname_r" or "gethostbyname2"
            or "gethostbyname2_r" or "gethostbyaddr" or "gethostbyaddr_r" or "getservbyname" or "getservbyname_r"
            or "getservbyport" or "getservbyport_r" or "getservent" or "getprotobyname" or "getprotobyname_r"
            or "getprotobynumber" or "getprotobynumber_r" or "getprotoent" => RuntimeNeedKind.NameService,
        // iconv_open loads a gconv module for every set not built into libc ("iconv_open: Invalid argument").
        "iconv_open" => RuntimeNeedKind.Gconv,
        // popen, system and wordexp run /bin/sh -c ("popen failure: Cannot allocate memory").
        "popen" or "system" or "wordexp" => RuntimeNeedKind.Shell,
        // The local time zone and TZ are read from tzdata.
        "tzset" or "localtime" or "localtime_r" or "mktime" => RuntimeNeedKind.Timezones,
        // A locale other than C or POSIX is a directory under /usr/lib/locale.
        "setlocale" or "newlocale" => RuntimeNeedKind.Locales,
        // glibc dlopens libgcc_s.so.1 to unwind ("libgcc_s.so.1 must be installed for pthread_cancel to work").
        "pthread_cancel" or "pthread_exit" => RuntimeNeedKind.Libgcc,
        // The default trust store is the CA bundle under /etc/ssl.
        "SSL_CTX_set_default_verify_paths" or "X509_STORE_set_default_paths" or "SSL_CTX_load_verify_locations"
            or "SSL_CTX_load_verify_file" or "gnutls_certificate_set_x509_system_trust" => RuntimeNeedKind.CaCertificates,
        _ => null,
    };

    /// <summary>Symbols that run a program by path: a need for the shell when the file also holds the string "/bin/sh".</summary>
    public static FrozenSet<string> ExecSymbols { get; } = new[]
    {
        "execl", "execle", "execlp", "execv", "execve", "execvp", "execvpe", "posix_spawn", "posix_spawnp",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The symbol that loads a library by name: the library strings of a file that imports it are needs.</summary>
    public const string DlopenSymbol = "dlopen";

    /// <summary>How each kind of need is described, checked against the image and provided, by kind.</summary>
    private static readonly RuntimeNeedRule[] Rules = MakeRules();

    /// <summary>How a need of <paramref name="kind"/> is described, checked against the image and provided.</summary>
    public static RuntimeNeedRule Rule(RuntimeNeedKind kind) => Rules[(int)kind];

    /// <summary>The rules in an array indexed by kind (an array: no generic dictionary to JIT-compile at start).</summary>
    private static RuntimeNeedRule[] MakeRules()
    {
        var rules = new RuntimeNeedRule[Enum.GetNames(typeof(RuntimeNeedKind)).Length];
        for (var i = 0; i < rules.Length; i++) rules[i] = NewRule((RuntimeNeedKind)i);
        return rules;
    }

    private static RuntimeNeedRule NewRule(RuntimeNeedKind kind) => kind switch
    {
        RuntimeNeedKind.Accounts => new("passwd and group entries",
            _ => ".WithUser(...) or .WithPasswd()",
            (image, _) => image.IsFile("/etc/passwd")),
        RuntimeNeedKind.NameService => new("/etc/services, /etc/protocols and nsswitch.conf",
            _ => ".WithNss()",
            (image, _) => image.IsFile("/etc/services") && image.IsFile("/etc/protocols")),
        RuntimeNeedKind.Gconv => new("iconv's gconv modules",
            charsets => charsets is null ? ".WithGconv(\"CHARSET\") naming the character sets it converts" : $".WithGconv({Quote(charsets)})",
            (image, charsets) => image.AnyPath(p => p.EndsWith("/gconv/gconv-modules", StringComparison.Ordinal) || p.EndsWith("/gconv/gconv-modules.cache", StringComparison.Ordinal))),
        RuntimeNeedKind.Shell => new("a shell at /bin/sh",
            _ => $".AddBinary(\"{ShellPath}\") before .WithLibs()",
            (image, _) => image.IsFile(ShellPath)),
        RuntimeNeedKind.Timezones => new("time zone data",
            _ => ".WithTimezones() or .WithTimezone(\"Etc/UTC\")",
            (image, _) => image.IsFile("/etc/localtime") || image.AnyPath(p => p.StartsWith("/usr/share/zoneinfo/", StringComparison.Ordinal))),
        RuntimeNeedKind.Locales => new("a compiled locale",
            _ => ".WithLocale()",
            (image, _) => image.AnyPath(p => p.StartsWith("/usr/lib/locale/", StringComparison.Ordinal))),
        RuntimeNeedKind.Libgcc => new("libgcc_s.so.1",
            _ => ".WithLibgcc()",
            (image, _) => image.AnyPath(p => p.EndsWith("/libgcc_s.so.1", StringComparison.Ordinal))),
        RuntimeNeedKind.CaCertificates => new("the CA certificates",
            _ => ".WithCaCertificates()",
            (image, _) => image.IsFile("/etc/ssl/certs/ca-certificates.crt")),
        RuntimeNeedKind.InterpreterData => new("its own data (standard library, templates)",
            // The scanner names the call of the program's preset; this is for a need without one.
            directory => $".AddDirectory(\"{directory}\", \"{directory}\")",
            // The preset's landmark in its data directory: python's encodings package, git's templates, perl's strict.pm.
            (image, directory) => directory is not null && Presets.ProgramPresets.All.Any(p => p.HasLandmark(image.IsFile, image.Tree.Paths, directory))),
        RuntimeNeedKind.Library => new("a library it loads with dlopen",
            library => $".AddLibrary(\"{library}\")",
            (image, library) => image.AnyPath(p => p.EndsWith("/" + library, StringComparison.Ordinal))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a kind of need without a rule"),
    };

    private static string Quote(string charsets)
    {
        var names = charsets.Split(',');
        return names.Length == 1 ? $"\"{names[0]}\"" : "[" + string.Join(", ", names.Select(n => $"\"{n}\"")) + "]";
    }
}
