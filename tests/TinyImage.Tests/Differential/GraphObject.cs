namespace TinyImage.Tests.Differential;

/// <summary>
/// One ELF file of a <see cref="DependencyGraph"/>, as gcc is asked to build it: an executable or a
/// shared library that prints <c>tinyimage-id-&lt;Id&gt;</c> when it is loaded (a library from its
/// constructor, an executable from its entry point), so a run tells which copies were loaded.
/// </summary>
public sealed record GraphObject
{
    /// <summary>The path relative to the graph's directory, e.g. "opt/a/tls/libtg3.so".</summary>
    public required string Path { get; init; }

    /// <summary>Unique within the graph.</summary>
    public required int Id { get; init; }

    public bool IsExecutable { get; init; }

    public string? Soname { get; init; }

    /// <summary>DT_NEEDED, in order: names, sonames of system libraries, or paths with $ORIGIN.</summary>
    public IReadOnlyList<string> Needed { get; init; } = [];

    /// <summary>DT_RPATH elements, tokens unexpanded. With <see cref="RunPath"/> too, the file's DT_RPATH string ends with the RUNPATH.</summary>
    public IReadOnlyList<string> RPath { get; init; } = [];

    /// <summary>DT_RUNPATH elements, tokens unexpanded.</summary>
    public IReadOnlyList<string> RunPath { get; init; } = [];

    /// <summary>DF_1_NODEFLIB (<c>-z nodefaultlib</c>).</summary>
    public bool NoDefaultLib { get; init; }

    public override string ToString() =>
        $"{(IsExecutable ? "exe" : "lib")} {Path} id={Id}" +
        (Soname is null ? "" : $" soname={Soname}") +
        (Needed.Count == 0 ? "" : $" needs=[{string.Join(", ", Needed)}]") +
        (RPath.Count == 0 ? "" : $" rpath={string.Join(':', RPath)}") +
        (RunPath.Count == 0 ? "" : $" runpath={string.Join(':', RunPath)}") +
        (NoDefaultLib ? " nodeflib" : "");
}
