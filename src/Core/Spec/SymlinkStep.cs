namespace TinyImage.Core.Spec;

/// <summary>A symbolic link at <see cref="Path"/> pointing to <see cref="Target"/>.</summary>
public sealed record SymlinkStep(string Path, string Target) : BuildStep;
