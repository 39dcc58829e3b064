using System.Collections.Immutable;

namespace TinyImage.Core.Dotnet;

/// <summary>
/// A trimmed self-contained publish of an app (<c>dotnet publish -r RID --self-contained -p:PublishTrimmed=true</c>),
/// read for what the .NET trimmer (ILLink) decided about it: which of the runtime's assemblies the app can reach, by its
/// analysis of code, reflection annotations and feature switches, and the feature switches it assumed (its runtimeconfig's
/// properties). A framework-dependent image of the same app then keeps only those assemblies of the shared frameworks,
/// unmodified, and runs with those switches.
/// </summary>
public sealed record TrimmedPublish(string Directory, ImmutableSortedSet<string> Assemblies, ImmutableSortedDictionary<string, string> Switches,
    ImmutableArray<FrameworkReference> Frameworks)
{
    /// <summary>Reads the trimmed publish of the app <paramref name="appName"/> in <paramref name="directory"/>.</summary>
    /// <exception cref="TinyImageException">It is not a self-contained publish of that app.</exception>
    public static TrimmedPublish Read(string directory, string appName)
    {
        var publish = $"dotnet publish -r linux-x64 --self-contained -p:PublishTrimmed=true -o {directory}";
        var configPath = Path.Combine(directory, appName + ".runtimeconfig.json");
        if (!File.Exists(configPath))
            throw new TinyImageException($"AddDotnetApp: trimmedPublish '{directory}' has no {appName}.runtimeconfig.json; publish the same app there: {publish}");
        var config = RuntimeConfig.Read(configPath);
        if (config.IncludedFrameworks.IsEmpty)
            throw new TinyImageException($"AddDotnetApp: trimmedPublish '{directory}' is not a self-contained publish of {appName}; publish it there: {publish}");
        var assemblies = System.IO.Directory.EnumerateFiles(directory, "*.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToImmutableSortedSet(StringComparer.Ordinal);
        return new TrimmedPublish(directory, assemblies, config.Properties, config.IncludedFrameworks);
    }

    /// <summary>
    /// Checks that the trimmer analysed the frameworks the image ships (<paramref name="shipped"/>: name → version): a
    /// newer patch's kept methods may call what the trimmer never saw.
    /// </summary>
    /// <exception cref="TinyImageException">A framework's version differs.</exception>
    public void CheckFrameworks(IEnumerable<(string Name, string Version)> shipped)
    {
        foreach (var (name, version) in shipped)
            if (Frameworks.FirstOrDefault(f => f.Name == name) is { } analysed && analysed.Version != version)
                throw new TinyImageException($"AddDotnetApp: trimmedPublish '{Directory}' was published with {name} {analysed.Version}, and the image ships {version}; publish it again with the SDK of that runtime (or give dotnetRoot: the installation it was published for)");
    }

    /// <summary>
    /// The switches the trimmer assumed that <paramref name="app"/> (the app's own runtimeconfig properties) does not set.
    /// </summary>
    /// <exception cref="TinyImageException">The app sets one to another value: the trimmer analysed other code paths.</exception>
    public Dictionary<string, string> SwitchesMissingFrom(IReadOnlyDictionary<string, string> app, string appConfig)
    {
        foreach (var (key, value) in Switches)
            if (app.TryGetValue(key, out var own) && own.Trim() != value.Trim())
                throw new TinyImageException($"AddDotnetApp: {appConfig} sets {key} to {own}, and trimmedPublish '{Directory}' was published with {value}; publish both with the same settings");
        return Switches.Where(s => !app.ContainsKey(s.Key)).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The names of the <paramref name="runtime"/> assemblies (name → host path) to keep for the app's own assemblies
    /// <paramref name="appAssemblies"/> (host paths): those the trimmer kept, what the runtime itself loads, and what the
    /// code the trimmer kept needs when it runs from the untrimmed originals (<see cref="KeptCodeClosure"/>).
    /// </summary>
    public IReadOnlySet<string> Keep(IEnumerable<string> appAssemblies, IReadOnlyDictionary<string, string> runtime)
    {
        var all = new Dictionary<string, string>(runtime, StringComparer.Ordinal);
        foreach (var path in appAssemblies) all.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        using var closure = new KeptCodeClosure(all);
        foreach (var name in Assemblies.Where(all.ContainsKey))
            closure.AddKept(name, Path.Combine(Directory, name + ".dll"));
        return Assemblies.Concat(AssemblyClosure.RuntimeLoaded).Concat(closure.Reached()).Where(runtime.ContainsKey).ToHashSet(StringComparer.Ordinal);
    }
}
