namespace TinyImage.Core.Spec;

/// <summary>A regular file copied from the host; <see cref="Mode"/> null keeps the host file's mode.</summary>
public sealed record AddFileStep(string Source, string Destination, int? Mode) : BuildStep
{
    /// <summary>Which tree <see cref="Source"/> is in: the image's root (the default) or the recipe's own files.</summary>
    public SourceTree Tree { get; init; } = SourceTree.Root;

    /// <summary>Who owns what the step adds (<see cref="FileOwner"/>); null: root. Parent directories it creates stay root's.</summary>
    public FileOwner? Owner { get; init; }
}
