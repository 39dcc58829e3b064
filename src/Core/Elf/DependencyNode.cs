namespace TinyImage.Core.Elf;

/// <summary>
/// One line of a dependency tree: an executable (the root) or a needed library. A library appears in
/// full once, under the object that first asked for it (its loader, as in glibc's breadth-first
/// load); later requests for it are <see cref="IsRepeat"/> nodes without children.
/// </summary>
public sealed record DependencyNode
{
    /// <summary>The executable's path for a root; the DT_NEEDED name otherwise.</summary>
    public required string Name { get; init; }

    /// <summary>The path inside the root where the loader opens it.</summary>
    public required string Path { get; init; }

    public required SearchRule Rule { get; init; }

    /// <summary>True when the library was already loaded by an earlier request; its children are shown there.</summary>
    public bool IsRepeat { get; init; }

    /// <summary>For a root: its PT_INTERP path, if any.</summary>
    public string? Interpreter { get; init; }

    /// <summary>For a root: true when it needs no interpreter and no library.</summary>
    public bool IsStatic { get; init; }

    public IReadOnlyList<DependencyNode> Children { get; init; } = [];
}
