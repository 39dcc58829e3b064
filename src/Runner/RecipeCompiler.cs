using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using TinyImage.Core;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Runner;

/// <summary>
/// Compiles a <c>.tiny.csx</c> recipe with Roslyn, with the DSL's namespaces imported, and runs it
/// against a fresh <see cref="Recipe"/> to collect the images it defines.
/// </summary>
internal sealed class RecipeCompiler
{
    /// <summary>Namespaces every recipe sees without a using directive.</summary>
    public static readonly ImmutableArray<string> DefaultImports =
    [
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Text",
        "TinyImage.Dsl",
    ];

    /// <summary>Compiles and evaluates the recipe at <paramref name="path"/>.</summary>
    /// <exception cref="RecipeCompilationException">The recipe does not compile.</exception>
    /// <exception cref="TinyImageException">The recipe is missing, or failed while running.</exception>
    public async Task<IReadOnlyList<ImageSpec>> EvaluateAsync(string path, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new TinyImageException($"{path}: is a directory; give a recipe file such as recipes/hello.tiny.csx");
        if (!File.Exists(fullPath))
            throw new TinyImageException($"{path}: no such recipe file; check the path");

        var code = await File.ReadAllTextAsync(fullPath, cancellationToken).ConfigureAwait(false);
        var directory = Path.GetDirectoryName(fullPath)!;
        var options = ScriptOptions.Default
            .WithFilePath(fullPath)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithReferences(typeof(Recipe).Assembly, typeof(TinyImageException).Assembly)
            .WithImports(DefaultImports)
            .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, directory))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(directory));

        var script = CSharpScript.Create(code, options, globalsType: typeof(Recipe));
        var errors = script.Compile(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new RecipeCompilationException(errors.Select(d => Format(d, path, fullPath)).ToList());

        var recipe = new Recipe(fullPath);
        try
        {
            await script.RunAsync(recipe, cancellationToken).ConfigureAwait(false);
        }
        catch (TinyImageException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new TinyImageException($"{RecipeLine(e, fullPath, path)}: the recipe threw {e.GetType().Name}: {e.Message}", e);
        }
        return recipe.Images();
    }

    /// <summary><c>path(line,col): error CSxxxx: message</c>, with the path as the user wrote it.</summary>
    private static string Format(Diagnostic diagnostic, string shownPath, string fullPath)
    {
        var span = diagnostic.Location.GetMappedLineSpan();
        var file = span.Path == fullPath || string.IsNullOrEmpty(span.Path) ? shownPath : Relative(span.Path);
        var severity = diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var position = span.IsValid ? $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})" : "";
        return $"{file}{position}: {severity} {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>The innermost stack frame in a recipe file, as <c>path(line)</c>; the recipe's path when none is found.</summary>
    private static string RecipeLine(Exception e, string fullPath, string shownPath)
    {
        var trace = new System.Diagnostics.StackTrace(e, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var file = frame.GetFileName();
            if (file is not null && file.EndsWith(".csx", StringComparison.Ordinal) && frame.GetFileLineNumber() > 0)
                return $"{(file == fullPath ? shownPath : Relative(file))}({frame.GetFileLineNumber()})";
        }
        return shownPath;
    }

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
