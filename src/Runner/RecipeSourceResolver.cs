using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TinyImage.Runner;

/// <summary>
/// Resolves <c>#load</c> paths relative to the loading file, like Roslyn's own resolver, except that
/// the editor prelude written by <c>tinyrun init</c> (<see cref="EditorSupport.PreludeName"/>) reads as
/// empty: it declares, for the editor only, what tinyrun itself provides.
/// </summary>
internal sealed class RecipeSourceResolver(string baseDirectory) : SourceReferenceResolver
{
    private readonly SourceFileResolver _files = new(ImmutableArray<string>.Empty, baseDirectory);

    public override string? NormalizePath(string path, string? baseFilePath) => _files.NormalizePath(path, baseFilePath);

    public override string? ResolveReference(string path, string? baseFilePath) => _files.ResolveReference(path, baseFilePath);

    public override Stream OpenRead(string resolvedPath) =>
        Path.GetFileName(resolvedPath) == EditorSupport.PreludeName ? new MemoryStream() : _files.OpenRead(resolvedPath);

    public override bool Equals(object? other) => other is RecipeSourceResolver r && r._files.Equals(_files);

    public override int GetHashCode() => _files.GetHashCode();
}
