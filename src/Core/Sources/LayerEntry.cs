namespace TinyImage.Core.Sources;

/// <summary>One entry of a layer tar: its absolute path, whether it is a directory, its size and its link target.</summary>
public sealed record LayerEntry(string Path, bool IsDirectory, long Size, string? LinkTarget);
