namespace TinyImage.Core.Spec;

/// <summary>
/// The data of a program the image has, by its preset (<c>Presets.ProgramPresets</c>): python's standard library, git's
/// templates and helpers. <see cref="Exclude"/> leaves out more than the preset does.
/// </summary>
public sealed record WithProgramDataStep(string Preset) : BuildStep
{
    /// <summary>Glob patterns (as AddDirectory's) left out of every directory of the preset, besides its own.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];
}
