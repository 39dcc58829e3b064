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

    /// <summary>
    /// The need with whether the image meets it, as <c>deps --needs</c> and <c>inspect</c> list it:
    /// <c>/usr/bin/ssh imports getpwnam: needs passwd and group entries; missing: add .WithUser(...) or .WithPasswd()</c>.
    /// </summary>
    public string Describe(bool met)
    {
        var what = Detail is { } detail && Kind != RuntimeNeedKind.Gconv ? detail : RuntimeNeedTable.Rule(Kind).What;
        return $"{File} {Evidence}: needs {what}; {(met ? "provided" : $"missing: add {Call}")}";
    }

    /// <summary>The hint line: <c>/usr/bin/ssh imports getpwuid: add .WithUser(...) or .WithPasswd()</c>.</summary>
    public override string ToString() => $"{File} {Evidence}: add {Call}";
}
