namespace TinyImage.Core.Spec;

/// <summary>A directory (and its parents, 0755 and owned by root) with the given mode.</summary>
public sealed record MkDirStep(string Path, int Mode) : BuildStep
{
    /// <summary>Who owns what the step adds (<see cref="FileOwner"/>); null: root. Parent directories it creates stay root's.</summary>
    public FileOwner? Owner { get; init; }
}
