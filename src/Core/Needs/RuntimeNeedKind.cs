namespace TinyImage.Core.Needs;

/// <summary>What a program needs at run time that DT_NEEDED does not name (see <see cref="RuntimeNeedTable"/>).</summary>
public enum RuntimeNeedKind
{
    /// <summary>/etc/passwd and /etc/group (getpwuid, getpwnam, getgrnam, getlogin...).</summary>
    Accounts,

    /// <summary>nsswitch.conf, /etc/services and /etc/protocols (getaddrinfo, getservbyname, getprotobyname...).</summary>
    NameService,

    /// <summary>iconv's gconv modules (iconv_open).</summary>
    Gconv,

    /// <summary>/bin/sh (popen, system, an exec of "/bin/sh").</summary>
    Shell,

    /// <summary>Time zone data (tzset, localtime...).</summary>
    Timezones,

    /// <summary>A compiled locale (setlocale, newlocale).</summary>
    Locales,

    /// <summary>libgcc_s.so.1, which glibc loads for pthread_cancel and pthread_exit.</summary>
    Libgcc,

    /// <summary>The CA certificates bundle (SSL_CTX_set_default_verify_paths...).</summary>
    CaCertificates,

    /// <summary>A library named in the program's strings and loaded with dlopen.</summary>
    Library,

    /// <summary>A program's own data, which its preset adds (Presets.ProgramPresets): python X.Y's standard library (without it only <c>--version</c> works), git's templates.</summary>
    InterpreterData,
}
