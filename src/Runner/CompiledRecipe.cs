using System.Reflection;
using System.Runtime.ExceptionServices;
using TinyImage.Dsl;

namespace TinyImage.Runner;

/// <summary>
/// A recipe compiled to an assembly (with its portable PDB, so stack traces name recipe lines), and the
/// source files it was compiled from. Running it needs no Roslyn: it calls the script's
/// <c>Submission#0.&lt;Factory&gt;</c> entry point, as Roslyn's own script runner does.
/// </summary>
internal sealed record CompiledRecipe(byte[] Assembly, byte[] Pdb, IReadOnlyList<RecipeSource> Sources)
{
    /// <summary>Runs the recipe against <paramref name="recipe"/>; exceptions the recipe throws come out unwrapped.</summary>
    public async Task RunAsync(Recipe recipe)
    {
        var assembly = System.Reflection.Assembly.Load(Assembly, Pdb);
        var factory = assembly.GetType("Submission#0")?.GetMethod("<Factory>", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException("the compiled recipe has no Submission#0.<Factory> entry point");
        Task<object> run;
        try
        {
            // Slot 0 holds the globals, slot 1 the submission itself.
            run = (Task<object>)factory.Invoke(null, [new object?[] { recipe, null }])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        await run.ConfigureAwait(false);
    }
}
