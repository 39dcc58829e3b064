namespace TinyImage.Core.Dotnet;

/// <summary>
/// The assembly names a managed assembly leads to: those it references (AssemblyRef table, loaded when its code runs),
/// and the words of its strings and blobs, among which are the names it loads by reflection.
/// </summary>
public sealed record ManagedAssemblyNames(IReadOnlyList<string> References, IReadOnlySet<string> Mentioned);
