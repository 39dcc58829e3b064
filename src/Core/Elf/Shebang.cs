namespace TinyImage.Core.Elf;

/// <summary>The <c>#!</c> line of a script: the interpreter path and the single optional argument the kernel passes.</summary>
public sealed record Shebang(string Interpreter, string? Argument);
