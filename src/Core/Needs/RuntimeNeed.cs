namespace TinyImage.Core.Needs;

/// <summary>
/// One thing an ELF file of the image needs at run time: <c>/usr/bin/ssh imports getpwuid</c>, with the recipe call
/// that provides it (<see cref="Call"/>).
/// </summary>
/// <param name="Kind">What is needed.</param>
/// <param name="File">The ELF file's path in the image.</param>
/// <param name="Symbol">The imported symbol that shows the need, e.g. <c>getpwuid</c>; for interpreter data, the interpreter (<c>python 3.11</c>).</param>
/// <param name="Detail">What exactly, where the kind has several: the library (<c>libz.so.1</c>) or the character sets; else null.</param>
/// <param name="Call">The recipe call that provides it, e.g. <c>.WithUser(...) or .WithPasswd()</c>.</param>
public sealed record RuntimeNeed(RuntimeNeedKind Kind, string File, string Symbol, string? Detail, string Call)
{
    /// <summary>What the file does that shows the need: <c>imports getpwuid</c>, <c>imports dlopen and names libz.so.1</c>.</summary>
    public string Evidence => Kind switch
    {
        RuntimeNeedKind.Library => $"imports {Symbol} and names {Detail}",
        RuntimeNeedKind.InterpreterData => $"is {Symbol}",
        _ => $"imports {Symbol}",
    };

    /// <summary>The hint line: <c>/usr/bin/ssh imports getpwuid: add .WithUser(...) or .WithPasswd()</c>.</summary>
    public override string ToString() => $"{File} {Evidence}: add {Call}";
}
