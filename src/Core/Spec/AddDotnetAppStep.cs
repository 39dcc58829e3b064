namespace TinyImage.Core.Spec;

/// <summary>
/// A published .NET application (the output directory of <c>dotnet publish</c>) at <see cref="Destination"/>, with
/// what it runs on: the shared runtime of a framework-dependent app, the library closure of every native file, and
/// what the runtime opens at run time (ICU, OpenSSL, time zones, CA certificates).
/// </summary>
public sealed record AddDotnetAppStep(string Source, string Destination) : BuildStep
{
    /// <summary>Which tree <see cref="Source"/> is in: the image's root (the default) or the recipe's own files.</summary>
    public SourceTree Tree { get; init; } = SourceTree.Root;

    /// <summary>The host's .NET installation the shared frameworks come from; null: DOTNET_ROOT, else the dotnet on PATH.</summary>
    public string? DotnetRoot { get; init; }

    /// <summary>
    /// Keep the runtime's diagnostics files: the LTTng trace provider (its liblttng-ust.so.0 must then be in the root),
    /// the debugger and dump libraries (libmscordbi, libmscordaccore, createdump), the standalone GCs, and the debug
    /// symbols of a Native AOT program (NAME.dbg).
    /// </summary>
    public bool Diagnostics { get; init; }

    /// <summary>
    /// OpenSSL and the CA certificates: null adds them when the app uses cryptography or TLS; false leaves them out (an
    /// app that serves plain HTTP and does no cryptography never loads them); true adds them.
    /// </summary>
    public bool? OpenSsl { get; init; }

    /// <summary>
    /// Keep every assembly of the runtime (the shared frameworks of a framework-dependent app, the runtime pack of a
    /// self-contained one). False, the default: only those the app's assemblies reach through their references and the
    /// names in their strings (<see cref="Dotnet.AssemblyClosure"/>), with the deps.json files rewritten to match.
    /// </summary>
    public bool WholeFramework { get; init; }

    /// <summary>
    /// A trimmed self-contained publish of the same app (host path): a framework-dependent app then keeps only the shared
    /// frameworks' assemblies the trimmer kept there (and the assemblies that forward types they reference), unmodified, and its runtimeconfig
    /// gets the feature switches the trimmer assumed (<see cref="Dotnet.TrimmedPublish"/>). For apps that trim without warnings.
    /// </summary>
    public string? TrimmedPublish { get; init; }

    /// <summary>
    /// Add GSSAPI (<c>libgssapi_krb5.so.2</c> and its closure), which the runtime loads only for Negotiate (Kerberos,
    /// NTLM) authentication: <c>NegotiateStream</c>, HttpClient with default credentials, ASP.NET Core's Negotiate handler.
    /// </summary>
    public bool Gssapi { get; init; }

    /// <summary>Leave ICU out even when the app does not ask for invariant globalization (sets DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1).</summary>
    public bool InvariantGlobalization { get; init; }
}
