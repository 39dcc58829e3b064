namespace TinyImage.Core.Spec;

/// <summary>One thing a recipe asked to put in an image, in the order it asked. Paths of host files are absolute.</summary>
public abstract record BuildStep
{
    /// <summary>The recipe line that asked for this step, for error messages.</summary>
    public SourceLocation? Origin { get; init; }

    /// <summary>The named layer the step's files go in (<c>.Layer("name", l => ...)</c>); null: the default split.</summary>
    public string? Layer { get; init; }
}
