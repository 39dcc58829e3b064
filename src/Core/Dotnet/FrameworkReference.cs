namespace TinyImage.Core.Dotnet;

/// <summary>A shared framework a runtimeconfig names: <c>Microsoft.NETCore.App</c> at version <c>10.0.0</c> (the lowest it accepts).</summary>
public sealed record FrameworkReference(string Name, string Version);
