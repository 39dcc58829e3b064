namespace TinyImage.Core.Dotnet;

/// <summary>
/// Which of a runtime's assemblies an app can load: the closure of the assembly references of the app's own assemblies
/// through the runtime's (Microsoft.NETCore.App, Microsoft.AspNetCore.App, or a self-contained app's runtime pack),
/// with the names each assembly's strings mention (what it loads by name through reflection), and what the runtime
/// itself loads (<see cref="RuntimeLoaded"/>).
/// </summary>
public static class AssemblyClosure
{
    /// <summary>
    /// Assemblies the runtime loads whatever the app references: System.Private.CoreLib, at start. (What CoreLib loads
    /// by name, e.g. System.Diagnostics.StackTrace for stack traces with file names and lines, is among its strings.)
    /// </summary>
    public static readonly IReadOnlyList<string> RuntimeLoaded = ["System.Private.CoreLib"];

    /// <summary>
    /// The names (file names without <c>.dll</c>) of the <paramref name="runtime"/> assemblies (name → host path) reached
    /// from the app's assemblies <paramref name="appAssemblies"/> (host paths; files that are not managed assemblies are skipped).
    /// A runtime file that is not a managed assembly is reached whenever its name is.
    /// </summary>
    public static IReadOnlySet<string> Of(IEnumerable<string> appAssemblies, IReadOnlyDictionary<string, string> runtime)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>();
        void Reach(IEnumerable<string> names)
        {
            foreach (var name in names)
                if (runtime.ContainsKey(name) && reached.Add(name)) pending.Enqueue(name);
        }
        void Follow(ManagedAssemblyNames? names)
        {
            if (names is null) return;
            Reach(names.References);
            Reach(names.Mentioned);
        }
        Reach(RuntimeLoaded);
        foreach (var assembly in appAssemblies) Follow(AssemblyReferences.ReadNames(assembly));
        while (pending.TryDequeue(out var name)) Follow(AssemblyReferences.ReadNames(runtime[name]));
        return reached;
    }
}
