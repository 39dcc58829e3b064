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

    /// <summary>The symbols that show a need by themselves being imported.</summary>
    public static FrozenDictionary<string, RuntimeNeedKind> Symbols { get; } = new Dictionary<string, RuntimeNeedKind>
    {
        // glibc reads /etc/passwd and /etc/group through NSS ("No user exists for uid 0").
        ["getpwuid"] = RuntimeNeedKind.Accounts, ["getpwuid_r"] = RuntimeNeedKind.Accounts,
        ["getpwnam"] = RuntimeNeedKind.Accounts, ["getpwnam_r"] = RuntimeNeedKind.Accounts,
        ["getpwent"] = RuntimeNeedKind.Accounts, ["getpwent_r"] = RuntimeNeedKind.Accounts,
        ["getgrgid"] = RuntimeNeedKind.Accounts, ["getgrgid_r"] = RuntimeNeedKind.Accounts,
        ["getgrnam"] = RuntimeNeedKind.Accounts, ["getgrnam_r"] = RuntimeNeedKind.Accounts,
        ["getgrent"] = RuntimeNeedKind.Accounts, ["getgrouplist"] = RuntimeNeedKind.Accounts,
        ["initgroups"] = RuntimeNeedKind.Accounts, ["getlogin"] = RuntimeNeedKind.Accounts,
        ["getlogin_r"] = RuntimeNeedKind.Accounts, ["cuserid"] = RuntimeNeedKind.Accounts,
        // Service and protocol names come from /etc/services and /etc/protocols ("Servname not supported").
        ["getaddrinfo"] = RuntimeNeedKind.NameService, ["getnameinfo"] = RuntimeNeedKind.NameService,
        ["gethostbyname"] = RuntimeNeedKind.NameService, ["gethostbyname_r"] = RuntimeNeedKind.NameService,
        ["gethostbyname2"] = RuntimeNeedKind.NameService, ["gethostbyname2_r"] = RuntimeNeedKind.NameService,
        ["gethostbyaddr"] = RuntimeNeedKind.NameService, ["gethostbyaddr_r"] = RuntimeNeedKind.NameService,
        ["getservbyname"] = RuntimeNeedKind.NameService, ["getservbyname_r"] = RuntimeNeedKind.NameService,
        ["getservbyport"] = RuntimeNeedKind.NameService, ["getservbyport_r"] = RuntimeNeedKind.NameService,
        ["getservent"] = RuntimeNeedKind.NameService, ["getprotobyname"] = RuntimeNeedKind.NameService,
        ["getprotobyname_r"] = RuntimeNeedKind.NameService, ["getprotobynumber"] = RuntimeNeedKind.NameService,
        ["getprotobynumber_r"] = RuntimeNeedKind.NameService, ["getprotoent"] = RuntimeNeedKind.NameService,
        // iconv_open loads a gconv module for every set not built into libc ("iconv_open: Invalid argument").
        ["iconv_open"] = RuntimeNeedKind.Gconv,
        // popen, system and wordexp run /bin/sh -c ("popen failure: Cannot allocate memory").
        ["popen"] = RuntimeNeedKind.Shell, ["system"] = RuntimeNeedKind.Shell, ["wordexp"] = RuntimeNeedKind.Shell,
        // The local time zone and TZ are read from tzdata.
        ["tzset"] = RuntimeNeedKind.Timezones, ["localtime"] = RuntimeNeedKind.Timezones,
        ["localtime_r"] = RuntimeNeedKind.Timezones, ["mktime"] = RuntimeNeedKind.Timezones,
        // A locale other than C or POSIX is a directory under /usr/lib/locale.
        ["setlocale"] = RuntimeNeedKind.Locales, ["newlocale"] = RuntimeNeedKind.Locales,
        // glibc dlopens libgcc_s.so.1 to unwind ("libgcc_s.so.1 must be installed for pthread_cancel to work").
        ["pthread_cancel"] = RuntimeNeedKind.Libgcc, ["pthread_exit"] = RuntimeNeedKind.Libgcc,
        // The default trust store is the CA bundle under /etc/ssl.
        ["SSL_CTX_set_default_verify_paths"] = RuntimeNeedKind.CaCertificates, ["X509_STORE_set_default_paths"] = RuntimeNeedKind.CaCertificates,
        ["SSL_CTX_load_verify_locations"] = RuntimeNeedKind.CaCertificates, ["SSL_CTX_load_verify_file"] = RuntimeNeedKind.CaCertificates,
        ["gnutls_certificate_set_x509_system_trust"] = RuntimeNeedKind.CaCertificates,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Symbols that run a program by path: a need for the shell when the file also holds the string "/bin/sh".</summary>
    public static FrozenSet<string> ExecSymbols { get; } = new[]
    {
        "execl", "execle", "execlp", "execv", "execve", "execvp", "execvpe", "posix_spawn", "posix_spawnp",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The symbol that loads a library by name: the library strings of a file that imports it are needs.</summary>
    public const string DlopenSymbol = "dlopen";

    /// <summary>How each kind of need is described, checked against the image and provided.</summary>
    public static FrozenDictionary<RuntimeNeedKind, RuntimeNeedRule> Rules { get; } = new Dictionary<RuntimeNeedKind, RuntimeNeedRule>
    {
        [RuntimeNeedKind.Accounts] = new("passwd and group entries",
            _ => ".WithUser(...) or .WithPasswd()",
            (image, _) => image.IsFile("/etc/passwd")),
        [RuntimeNeedKind.NameService] = new("/etc/services, /etc/protocols and nsswitch.conf",
            _ => ".WithNss()",
            (image, _) => image.IsFile("/etc/services") && image.IsFile("/etc/protocols")),
        [RuntimeNeedKind.Gconv] = new("iconv's gconv modules",
            charsets => charsets is null ? ".WithGconv(\"CHARSET\") naming the character sets it converts" : $".WithGconv({Quote(charsets)})",
            (image, charsets) => image.AnyPath(p => p.EndsWith("/gconv/gconv-modules", StringComparison.Ordinal) || p.EndsWith("/gconv/gconv-modules.cache", StringComparison.Ordinal))),
        [RuntimeNeedKind.Shell] = new("a shell at /bin/sh",
            _ => $".AddBinary(\"{ShellPath}\") before .WithLibs()",
            (image, _) => image.IsFile(ShellPath)),
        [RuntimeNeedKind.Timezones] = new("time zone data",
            _ => ".WithTimezones() or .WithTimezone(\"Etc/UTC\")",
            (image, _) => image.IsFile("/etc/localtime") || image.AnyPath(p => p.StartsWith("/usr/share/zoneinfo/", StringComparison.Ordinal))),
        [RuntimeNeedKind.Locales] = new("a compiled locale",
            _ => ".WithLocale()",
            (image, _) => image.AnyPath(p => p.StartsWith("/usr/lib/locale/", StringComparison.Ordinal))),
        [RuntimeNeedKind.Libgcc] = new("libgcc_s.so.1",
            _ => ".WithLibgcc()",
            (image, _) => image.AnyPath(p => p.EndsWith("/libgcc_s.so.1", StringComparison.Ordinal))),
        [RuntimeNeedKind.CaCertificates] = new("the CA certificates",
            _ => ".WithCaCertificates()",
            (image, _) => image.IsFile("/etc/ssl/certs/ca-certificates.crt")),
        [RuntimeNeedKind.InterpreterData] = new("its own data (standard library, templates)",
            // The scanner names the call of the program's preset; this is for a need without one.
            directory => $".AddDirectory(\"{directory}\", \"{directory}\")",
            // The preset's landmark in its data directory: python's encodings package, git's templates, perl's strict.pm.
            (image, directory) => directory is not null && Presets.ProgramPresets.All.Any(p => p.HasLandmark(image.IsFile, image.Tree.Paths, directory))),
        [RuntimeNeedKind.Library] = new("a library it loads with dlopen",
            library => $".AddLibrary(\"{library}\")",
            (image, library) => image.AnyPath(p => p.EndsWith("/" + library, StringComparison.Ordinal))),
    }.ToFrozenDictionary();

    private static string Quote(string charsets)
    {
        var names = charsets.Split(',');
        return names.Length == 1 ? $"\"{names[0]}\"" : "[" + string.Join(", ", names.Select(n => $"\"{n}\"")) + "]";
    }
}
