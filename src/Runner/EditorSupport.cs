using TinyImage.Core;

namespace TinyImage.Runner;

/// <summary>
/// What <c>tinyrun init</c> writes so that editors (VS Code with OmniSharp) complete recipes: an
/// <c>omnisharp.json</c> enabling C# scripts, and a prelude that references the DSL's assemblies and
/// declares <c>From</c>, <c>Sh</c> and <c>Args</c>, which tinyrun gives recipes as globals.
/// </summary>
internal static class EditorSupport
{
    public const string PreludeName = "tinyrun.editor.csx";

    /// <summary>Writes the files into <paramref name="directory"/>, made (with its parents) when missing; returns their paths.</summary>
    public static IReadOnlyList<string> Write(string directory)
    {
        if (Path.Exists(directory) && !Directory.Exists(directory))
            throw new TinyImageException($"{directory}: not a directory; give the directory of the recipes (made if missing)");
        Directory.CreateDirectory(directory);
        var dsl = typeof(TinyImage.Dsl.Recipe).Assembly.Location;
        var core = typeof(TinyImageException).Assembly.Location;
        var prelude = Path.Combine(directory, PreludeName);
        File.WriteAllText(prelude, $$"""
            // Editor support for *.tiny.csx recipes, written by `tinyrun init`. tinyrun reads this file as
            // empty: it gives recipes From, Sh and Args itself. Start a recipe with
            //   #load "{{PreludeName}}"
            // (relative to the recipe) to get completion in VS Code with OmniSharp.
            #r "{{core}}"
            #r "{{dsl}}"
            using TinyImage.Dsl;

            var __recipe = new Recipe("{{PreludeName}}");
            var From = __recipe.From;
            var Args = __recipe.Args;
            void Sh(string command) => __recipe.Sh(command);

            """);
        var omnisharp = Path.Combine(directory, "omnisharp.json");
        if (!File.Exists(omnisharp))
            File.WriteAllText(omnisharp, """
                {
                  "script": {
                    "enabled": true,
                    "defaultTargetFramework": "net10.0",
                    "enableScriptNuGetReferences": false
                  }
                }

                """);
        return [prelude, omnisharp];
    }
}
