namespace TinyImage.Core.Spec;

/// <summary>The ELF interpreter and shared-library closure of every ELF file added before this step.</summary>
public sealed record WithLibsStep : BuildStep;
