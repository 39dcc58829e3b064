namespace TinyImage.Core.Presets;

/// <summary>One directory of a <see cref="ProgramPreset"/>: where it may be, and what in it a container does not need.</summary>
/// <param name="Candidates">
/// Where it may be, with the preset's <c>{name}</c>s and <c>*</c> for a name the program's path does not tell (perl's
/// <c>{prefix}/lib/*/perl-base</c>), in the order looked at: the first directory found is taken.
/// </param>
/// <param name="Exclude">Glob patterns (as AddDirectory's <c>exclude:</c>) of what is left out: tests, build files, tools.</param>
/// <param name="Optional">When none of <see cref="Candidates"/> is there the preset goes on without it; otherwise it is an error.</param>
public sealed record PresetDirectory(IReadOnlyList<string> Candidates, IReadOnlyList<string> Exclude, bool Optional = false)
{
    /// <summary>Patterns left out unless a file is there: <c>tkinter</c> without the <c>_tkinter</c> module (no Tk) cannot be imported.</summary>
    public IReadOnlyList<PresetCondition> ExcludeUnless { get; init; } = [];
}
