using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TinyImage.Runner;

/// <summary>
/// Resolves <c>#load</c> paths relative to the loading file, like Roslyn's own resolver, with two files that
/// read as empty: the editor prelude written by <c>tinyrun init</c> (<see cref="EditorSupport.PreludeName"/>),
/// which declares, for the editor only, what tinyrun itself provides; and the recipe itself. Roslyn loads a
/// file once however often it is <c>#load</c>ed, but does not count the script it compiles as loaded, so a
/// recipe that loads itself (directly or through a file it loads) would run, and define its images, twice.
/// </summary>
/// <param name="recipePath">The recipe's full path.</param>
internal sealed class RecipeSourceResolver(string baseDirectory, string recipePath) : SourceReferenceResolver
{
    private readonly SourceFileResolver _files = new(ImmutableArray<string>.Empty, baseDirectory);

    public override string? NormalizePath(string path, string? baseFilePath) => _files.NormalizePath(path, baseFilePath);

    public override string? ResolveReference(string path, string? baseFilePath) => _files.ResolveReference(path, baseFilePath);

    public override Stream OpenRead(string resolvedPath) =>
        Path.GetFileName(resolvedPath) == EditorSupport.PreludeName || resolvedPath == recipePath ? new MemoryStream() : _files.OpenRead(resolvedPath);

    public override bool Equals(object? other) => other is RecipeSourceResolver r && r._files.Equals(_files) && r.RecipePath == RecipePath;

    public override int GetHashCode() => HashCode.Combine(_files, RecipePath);

    private string RecipePath => recipePath;
}
