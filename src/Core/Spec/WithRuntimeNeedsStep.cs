namespace TinyImage.Core.Spec;

/// <summary>
/// What the ELF files added so far need at run time beyond their libraries, read from their imported symbols and
/// strings (see <c>Needs.RuntimeNeedTable</c>), each with the smallest content that provides it.
/// </summary>
public sealed record WithRuntimeNeedsStep : BuildStep;
