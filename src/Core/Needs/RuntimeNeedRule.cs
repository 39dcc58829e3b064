namespace TinyImage.Core.Needs;

/// <summary>How one kind of runtime need is described, checked and provided (a row of <see cref="RuntimeNeedTable.Rules"/>).</summary>
/// <param name="What">What the program needs, in words: "passwd and group entries".</param>
/// <param name="Call">The recipe call that provides it, given the need's detail (a library, character sets) or null.</param>
/// <param name="IsMet">Whether the image already provides it, given the need's detail.</param>
public sealed record RuntimeNeedRule(string What, Func<string?, string> Call, Func<ImageView, string?, bool> IsMet);
