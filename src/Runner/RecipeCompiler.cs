using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;
using TinyImage.Core;
using TinyImage.Dsl;

namespace TinyImage.Runner;

/// <summary>
/// Compiles a <c>.tiny.csx</c> recipe (and the files it <c>#load</c>s) with Roslyn into a
/// <see cref="CompiledRecipe"/>. The only class that touches Roslyn: a run served from the cache never
/// loads it.
/// </summary>
internal static class RecipeCompiler
{
    /// <summary>Namespaces every recipe sees without a using directive.</summary>
    public static readonly ImmutableArray<string> DefaultImports =
    [
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Text",
        "TinyImage.Dsl",
    ];

    /// <exception cref="RecipeCompilationException">The recipe does not compile.</exception>
    public static CompiledRecipe Compile(string fullPath, string shownPath, CancellationToken cancellationToken)
    {
        var code = File.ReadAllText(fullPath);
        var directory = Path.GetDirectoryName(fullPath)!;
        var options = ScriptOptions.Default
            .WithFilePath(fullPath)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithReferences(typeof(Recipe).Assembly, typeof(TinyImageException).Assembly)
            .WithImports(DefaultImports)
            .WithSourceResolver(new RecipeSourceResolver(directory, fullPath))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(directory));

        var script = CSharpScript.Create(code, options, globalsType: typeof(Recipe));
        var errors = script.Compile(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new RecipeCompilationException(errors.Select(d => Format(d, shownPath, fullPath)).ToList());

        var compilation = script.GetCompilation();
        // Roslyn emits nothing, and says nothing, for a script without code.
        if (compilation.SyntaxTrees.All(t => t.GetRoot(cancellationToken) is CompilationUnitSyntax { Members.Count: 0 }))
            throw new TinyImageException($"{shownPath}: the recipe has no code (it is empty or only comments), so it defines no image; start one with From.Scratch(), e.g. From.Scratch().AddBinary(\"/bin/ls\").WithLibs()");
        using var assembly = new MemoryStream();
        using var pdb = new MemoryStream();
        var emitted = compilation.Emit(assembly, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb), cancellationToken: cancellationToken);
        if (!emitted.Success)
            throw new RecipeCompilationException(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => Format(d, shownPath, fullPath)).ToList());

        var sources = compilation.SyntaxTrees.Select(t => t.FilePath).Where(p => !string.IsNullOrEmpty(p))
            .Prepend(fullPath).Distinct(StringComparer.Ordinal).Select(RecipeSource.Read).ToList();
        return new CompiledRecipe(assembly.ToArray(), pdb.ToArray(), sources);
    }

    /// <summary><c>path(line,col): error CSxxxx: message</c>, with the path as the user wrote it.</summary>
    private static string Format(Diagnostic diagnostic, string shownPath, string fullPath)
    {
        var span = diagnostic.Location.GetMappedLineSpan();
        var file = span.Path == fullPath || string.IsNullOrEmpty(span.Path) ? shownPath : RecipeEvaluator.Relative(span.Path);
        var severity = diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var position = span.IsValid ? $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})" : "";
        var message = MemberSuggestion.Add(diagnostic.Id, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), typeof(Recipe).Assembly);
        return $"{file}{position}: {severity} {diagnostic.Id}: {message}";
    }
}
