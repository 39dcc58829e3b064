namespace TinyImage.Core.Spec;

/// <summary>A file whose content is the UTF-8 text given in the recipe.</summary>
public sealed record AddTextStep(string Destination, string Text, int Mode) : BuildStep;
