namespace TinyImage.Core.Spec;

/// <summary>A directory (and its parents) with the given mode.</summary>
public sealed record MkDirStep(string Path, int Mode) : BuildStep;
