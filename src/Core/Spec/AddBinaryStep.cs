namespace TinyImage.Core.Spec;

/// <summary>An executable (ELF, or a <c>#!</c> script that brings its interpreter) copied from <see cref="Source"/> to <see cref="Destination"/>.</summary>
public sealed record AddBinaryStep(string Source, string Destination) : BuildStep
{
    /// <summary>Which tree <see cref="Source"/> is in: the image's root (the default) or the recipe's own files.</summary>
    public SourceTree Tree { get; init; } = SourceTree.Root;
}
