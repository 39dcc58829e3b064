namespace TinyImage.Core.Elf;

/// <summary>One directory of a library search, with the step that contributed it ("RUNPATH of /app/bin/x").</summary>
internal sealed record SearchDirectory(string Path, SearchRule Rule, string Source);
