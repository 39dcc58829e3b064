namespace TinyImage.Core.Dotnet;

/// <summary>
/// A .NET installation on the host (<c>/usr/share/dotnet</c>): the <c>dotnet</c> muxer, <c>host/fxr/VERSION</c> and
/// <c>shared/FRAMEWORK/VERSION</c>, where a framework-dependent app's runtime comes from.
/// </summary>
public sealed class DotnetRoot
{
    private DotnetRoot(string path) => Path = path;

    /// <summary>The installation's directory on the host.</summary>
    public string Path { get; }

    /// <summary>
    /// The installation at <paramref name="directory"/>; null: <c>DOTNET_ROOT</c> of <paramref name="environment"/>, else
    /// the directory of the <c>dotnet</c> on its <c>PATH</c>, through its symlinks (/usr/bin/dotnet -> /usr/share/dotnet/dotnet).
    /// </summary>
    /// <exception cref="TinyImageException">None is found, or the directory has no shared frameworks.</exception>
    public static DotnetRoot Find(string? directory, Func<string, string?> environment)
    {
        var path = directory ?? (environment("DOTNET_ROOT") is { Length: > 0 } fromVariable ? fromVariable : FromPath(environment("PATH")))
            ?? throw new TinyImageException("no .NET installation found: DOTNET_ROOT is not set and no dotnet is on PATH; install the .NET runtime or give its directory (dotnetRoot: \"/usr/share/dotnet\")");
        path = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(System.IO.Path.Combine(path, "shared")))
            throw new TinyImageException($"{path}: not a .NET installation (it has no shared/ directory of frameworks); set DOTNET_ROOT to one, e.g. /usr/share/dotnet");
        return new DotnetRoot(path);
    }

    /// <summary>
    /// The directory of the installed framework <paramref name="framework"/> that the host would choose for an app
    /// asking for it under <paramref name="rollForward"/>, as hostfxr's fx_resolver does.
    /// </summary>
    /// <exception cref="TinyImageException">No installed version is acceptable.</exception>
    public string Framework(FrameworkReference framework, string rollForward, string configName)
    {
        var directory = System.IO.Path.Combine(Path, "shared", framework.Name);
        var installed = Directory.Exists(directory)
            ? Directory.EnumerateDirectories(directory).Select(d => System.IO.Path.GetFileName(d)!).Select(FrameworkVersion.TryParse).OfType<FrameworkVersion>().ToList()
            : [];
        var requested = FrameworkVersion.TryParse(framework.Version)
            ?? throw new TinyImageException($"{configName}: framework {framework.Name} has the version '{framework.Version}', which is not MAJOR.MINOR.PATCH; publish the app again");
        var chosen = FrameworkVersion.RollForward(requested, rollForward, installed, configName)
            ?? throw new TinyImageException($"{configName}: needs {framework.Name} {framework.Version} (roll forward: {rollForward}), but {directory} has "
                + (installed.Count == 0 ? "no version" : string.Join(", ", installed.Order()))
                + $"; install that runtime (e.g. apt-get install {(framework.Name == "Microsoft.AspNetCore.App" ? "aspnetcore" : "dotnet")}-runtime-{requested.Major}.{requested.Minor}) or publish self-contained");
        return System.IO.Path.Combine(directory, chosen.Text);
    }

    /// <summary>The newest <c>host/fxr/VERSION/libhostfxr.so</c>, which the muxer and an apphost load, as they choose it.</summary>
    public string HostFxr()
    {
        var fxr = System.IO.Path.Combine(Path, "host", "fxr");
        var newest = Directory.Exists(fxr)
            ? Directory.EnumerateDirectories(fxr).Select(d => System.IO.Path.GetFileName(d)!).Select(FrameworkVersion.TryParse).OfType<FrameworkVersion>().Max()
            : null;
        var library = newest is null ? null : System.IO.Path.Combine(fxr, newest.Text, "libhostfxr.so");
        return library is not null && File.Exists(library) ? library
            : throw new TinyImageException($"{fxr}: has no VERSION/libhostfxr.so; the .NET installation at {Path} is incomplete, install the runtime again");
    }

    /// <summary>The <c>dotnet</c> muxer, which runs <c>dotnet app.dll</c>.</summary>
    public string Muxer() =>
        System.IO.Path.Combine(Path, "dotnet") is var muxer && File.Exists(muxer) ? muxer
            : throw new TinyImageException($"{Path}: has no dotnet program; the .NET installation is incomplete, install the runtime again");

    private static string? FromPath(string? path)
    {
        foreach (var directory in (path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(directory, "dotnet");
            if (!File.Exists(candidate)) continue;
            var real = new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate;
            return System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(real));
        }
        return null;
    }
}
