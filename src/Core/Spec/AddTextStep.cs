namespace TinyImage.Core.Spec;

/// <summary>A file whose content is the UTF-8 text given in the recipe.</summary>
public sealed record AddTextStep(string Destination, string Text, int Mode) : BuildStep
{
    /// <summary>Who owns what the step adds (<see cref="FileOwner"/>); null: root. Parent directories it creates stay root's.</summary>
    public FileOwner? Owner { get; init; }
}
