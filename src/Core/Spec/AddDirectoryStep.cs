namespace TinyImage.Core.Spec;

/// <summary>A host directory copied recursively, symlinks kept as symlinks.</summary>
public sealed record AddDirectoryStep(string Source, string Destination) : BuildStep
{
    /// <summary>Which tree <see cref="Source"/> is in: the image's root (the default) or the recipe's own files.</summary>
    public SourceTree Tree { get; init; } = SourceTree.Root;

    /// <summary>Glob patterns of the paths to copy (relative to <see cref="Source"/>); empty: all.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Glob patterns of the paths to leave out (an excluded directory is not entered).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Who owns every file, directory and link the step copies (<see cref="FileOwner"/>); null: root.</summary>
    public FileOwner? Owner { get; init; }
}
