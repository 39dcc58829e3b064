namespace TinyImage.Core.Spec;

/// <summary>A host directory copied recursively, symlinks kept as symlinks.</summary>
public sealed record AddDirectoryStep(string Source, string Destination) : BuildStep;
