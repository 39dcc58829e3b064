namespace TinyImage.Core.Presets;

/// <summary>Leave out <see cref="Exclude"/> unless the directory holds a file named like <see cref="File"/> in <see cref="Directory"/>.</summary>
/// <param name="Exclude">Glob patterns left out when the file is missing: <c>tkinter</c>, <c>turtledemo</c>.</param>
/// <param name="Directory">Where the file would be, relative to the preset's directory: <c>lib-dynload</c>.</param>
/// <param name="File">A file name with <c>*</c> and <c>?</c>: <c>_tkinter.*</c>.</param>
public sealed record PresetCondition(IReadOnlyList<string> Exclude, string Directory, string File);
