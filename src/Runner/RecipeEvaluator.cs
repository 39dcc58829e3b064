using TinyImage.Core;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Runner;

/// <summary>
/// Runs a recipe and returns the images it defines: from the compiled-recipe cache when the recipe
/// and everything it loads are unchanged, else compiled with Roslyn (and stored).
/// </summary>
internal sealed class RecipeEvaluator(bool useCache, Action<string> log)
{
    public async Task<IReadOnlyList<ImageSpec>> EvaluateAsync(string path, IReadOnlyDictionary<string, string> arguments, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new TinyImageException($"{path}: is a directory; give a recipe file such as recipes/hello.tiny.csx");
        if (!File.Exists(fullPath))
            throw new TinyImageException($"{path}: no such recipe file; check the path");

        var cache = useCache ? RecipeCache.Open() : null;
        var compiled = cache?.TryGet(fullPath);
        if (compiled is null)
        {
            log(cache is null ? "compiling the recipe (cache disabled)" : "compiling the recipe (not in the cache)");
            compiled = Compile(fullPath, path, cancellationToken);
            cache?.Put(fullPath, compiled);
        }
        else
        {
            log($"recipe from the cache ({cache!.Location})");
        }

        var recipe = new Recipe(fullPath, arguments, cancellationToken);
        try
        {
            // Recipe code never checks the token (a `while (true) {}` would ignore Ctrl-C): it runs on a thread of its
            // own, and a cancelled run stops waiting for it. The abandoned thread ends with the process.
            await Task.Run(() => compiled.RunAsync(recipe), CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
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

    // Kept in its own method so that Roslyn's assemblies load only when a recipe is really compiled.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static CompiledRecipe Compile(string fullPath, string shownPath, CancellationToken cancellationToken) =>
        RecipeCompiler.Compile(fullPath, shownPath, cancellationToken);

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

    public static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
