namespace TinyImage.Runner;

/// <summary>A recipe that does not compile; <see cref="Diagnostics"/> are ready to print, one per line.</summary>
internal sealed class RecipeCompilationException(IReadOnlyList<string> diagnostics)
    : Exception(string.Join(Environment.NewLine, diagnostics))
{
    public IReadOnlyList<string> Diagnostics { get; } = diagnostics;
}
