using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// A check a recipe declares about its image, run by <c>tinyrun test</c> in a container with no network:
/// a command with its expected output and exit code, or a path that must (or must not) exist.
/// </summary>
public sealed record ImageTest
{
    public required string Name { get; init; }

    /// <summary>The full command (argv) to run; empty runs the image's own entrypoint and command. Null for a path check.</summary>
    public ImmutableArray<string>? Command { get; init; }

    /// <summary>The exact standard output expected (compared without trailing white space), or null.</summary>
    public string? ExpectOutput { get; init; }

    /// <summary>Text the standard output must contain, or null.</summary>
    public string? ExpectOutputContains { get; init; }

    public int ExpectExitCode { get; init; }

    /// <summary>For a path check: the absolute path in the image.</summary>
    public string? Path { get; init; }

    /// <summary>For a path check: whether the path must exist (true) or must not (false).</summary>
    public bool PathShouldExist { get; init; }

    public SourceLocation? Origin { get; init; }
}
