using TinyImage.Core.Elf;

namespace TinyImage.Core.Dotnet;

/// <summary>
/// A published .NET application, as its publish directory shows it: how it was published, what it is called, the
/// runtimeconfig switches, and which of the libraries the runtime opens at run time (never named by DT_NEEDED) it uses.
/// </summary>
public sealed record DotnetApp
{
    /// <summary>How it was published.</summary>
    public required DotnetAppKind Kind { get; init; }

    /// <summary>The app's name: <c>NAME.dll</c>, <c>NAME.runtimeconfig.json</c>, and the apphost <c>NAME</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The native launcher in the publish directory (apphost, single-file or Native AOT program), if any.</summary>
    public string? Executable { get; init; }

    /// <summary>The runtimeconfig; an empty one for Native AOT, which has none.</summary>
    public RuntimeConfig Config { get; init; } = new();

    /// <summary>The app uses cryptography or TLS, which the runtime does with OpenSSL (dlopen'd libssl and libcrypto).</summary>
    public bool UsesOpenSsl { get; init; }

    /// <summary>The app makes TLS connections (HttpClient, SslStream...), which check servers against the CA certificates.</summary>
    public bool UsesTls { get; init; }

    /// <summary>The app's ICU use is compiled in (Native AOT, where no runtimeconfig is left): the program names libicuuc.</summary>
    public bool? NativeUsesIcu { get; init; }

    // Assemblies whose use needs OpenSSL, and those that open TLS connections (the CA certificates).
    private static readonly string[] OpenSslAssemblies = ["System.Security.Cryptography", "System.Net.Security", "System.Net.Http", "System.Net.Quic", "System.Net.Mail", "System.Net.Requests", "System.Net.WebSockets.Client", "Microsoft.AspNetCore."];
    private static readonly string[] TlsAssemblies = ["System.Net.Http", "System.Net.Security", "System.Net.Quic", "System.Net.Mail", "System.Net.Requests", "System.Net.WebSockets.Client"];

    /// <summary>
    /// Reads the publish directory <paramref name="directory"/> (a host path): a <c>NAME.runtimeconfig.json</c> with a
    /// framework is framework-dependent, one with <c>includedFrameworks</c> (or a <c>libcoreclr.so</c> beside it)
    /// self-contained; with none, an executable holding a bundle is single-file, an ELF program without libcoreclr Native AOT.
    /// </summary>
    /// <exception cref="TinyImageException">The directory holds no published app, or several.</exception>
    public static DotnetApp Read(string directory)
    {
        if (!Directory.Exists(directory))
            throw new TinyImageException($"AddDotnetApp: '{directory}' is not a directory; give the output directory of dotnet publish (-o DIR)");
        var configs = Directory.EnumerateFiles(directory, "*.runtimeconfig.json").Order(StringComparer.Ordinal).ToList();
        if (configs.Count > 1)
            throw new TinyImageException($"AddDotnetApp: '{directory}' holds several apps ({string.Join(", ", configs.Select(Path.GetFileName))}); publish each app to its own directory");
        if (configs.Count == 1)
            return Managed(directory, configs[0]);
        var programs = Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal)
            .Where(f => !f.EndsWith(".so", StringComparison.Ordinal) && !f.Contains(".so.", StringComparison.Ordinal) && !f.EndsWith(".dbg", StringComparison.Ordinal) && ElfReader.IsElf(f))
            .Where(f => ElfReader.Read(f).Type == ElfFileType.Executable || ElfReader.Read(f).IsPie).ToList();
        if (programs.Count != 1)
            throw new TinyImageException(programs.Count == 0
                ? $"AddDotnetApp: '{directory}' has no NAME.runtimeconfig.json and no single-file or Native AOT program; give the output directory of dotnet publish (-o DIR)"
                : $"AddDotnetApp: '{directory}' has no NAME.runtimeconfig.json and several programs ({string.Join(", ", programs.Select(Path.GetFileName))}); publish each app to its own directory");
        var program = programs[0];
        var name = Path.GetFileName(program);
        if (SingleFileBundle.HeaderOffset(program) is { } header)
        {
            var (config, deps) = SingleFileBundle.ReadManifest(program, header);
            // A bundle's native shims are linked into its host, so what it uses cannot be told from files: keep OpenSSL and the CA certificates.
            return new DotnetApp
            {
                Kind = DotnetAppKind.SingleFile, Name = name, Executable = program, UsesOpenSsl = true, UsesTls = true,
                Config = config is null ? new RuntimeConfig() : RuntimeConfig.Parse(config, $"{program} (its bundled runtimeconfig.json)"),
            };
        }
        if (File.Exists(Path.Combine(directory, "libcoreclr.so")))
            throw new TinyImageException($"AddDotnetApp: '{directory}' has libcoreclr.so but no NAME.runtimeconfig.json; publish the app again with dotnet publish");
        var names = NativeNames(program);
        return new DotnetApp
        {
            Kind = DotnetAppKind.NativeAot, Name = name, Executable = program,
            UsesOpenSsl = names.OpenSsl, UsesTls = names.OpenSsl, NativeUsesIcu = names.Icu,
            Config = new RuntimeConfig { InvariantGlobalization = !names.Icu },
        };
    }

    private static DotnetApp Managed(string directory, string configPath)
    {
        var name = Path.GetFileName(configPath)[..^".runtimeconfig.json".Length];
        var config = RuntimeConfig.Read(configPath);
        var depsPath = Path.Combine(directory, name + ".deps.json");
        var deps = File.Exists(depsPath) ? DepsFile.Read(depsPath) : new DepsFile();
        var selfContained = !config.IncludedFrameworks.IsEmpty || File.Exists(Path.Combine(directory, "libcoreclr.so"));
        if (!selfContained && config.Frameworks.IsEmpty)
            throw new TinyImageException($"AddDotnetApp: {configPath} names no framework and '{directory}' has no libcoreclr.so; publish the app again with dotnet publish");
        var apphost = Path.Combine(directory, name);
        var references = new HashSet<string>(deps.Libraries, StringComparer.Ordinal);
        references.UnionWith(config.Frameworks.Select(f => f.Name + "."));
        foreach (var assembly in Directory.EnumerateFiles(directory, "*.dll", SearchOption.AllDirectories))
            if (!deps.RuntimePackFiles.Contains(Path.GetRelativePath(directory, assembly).Replace('\\', '/'))
                && AssemblyReferences.Read(assembly) is { } referenced)
                references.UnionWith(referenced);
        return new DotnetApp
        {
            Kind = selfContained ? DotnetAppKind.SelfContained : DotnetAppKind.FrameworkDependent, Name = name, Config = config,
            Executable = File.Exists(apphost) && ElfReader.IsElf(apphost) ? apphost : null,
            UsesOpenSsl = references.Any(r => OpenSslAssemblies.Any(a => r.StartsWith(a, StringComparison.Ordinal))),
            UsesTls = references.Any(r => TlsAssemblies.Any(a => r.StartsWith(a, StringComparison.Ordinal))),
        };
    }

    private const int MaxNativeProgramBytes = 1 << 30;

    // Native AOT links the runtime's native shims into the program only when they are used; each names what it dlopens.
    private static (bool OpenSsl, bool Icu) NativeNames(string program)
    {
        var bytes = FileSystem.RegularFile.ReadAllBytes(program, MaxNativeProgramBytes);
        return (bytes.AsSpan().IndexOf("libssl.so"u8) >= 0, bytes.AsSpan().IndexOf("libicuuc.so"u8) >= 0);
    }
}
