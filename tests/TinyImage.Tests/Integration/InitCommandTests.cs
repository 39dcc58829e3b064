using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace TinyImage.Tests.Integration;

/// <summary>tinyrun init: editor support that an editor can compile and that tinyrun ignores.</summary>
public sealed class InitCommandTests
{
    private const string Recipe = "#load \"tinyrun.editor.csx\"\nFrom.Scratch().AddText(\"/x\", Args.Get(\"x\", \"1\")).Tag(\"init-test:1\")\n";

    [Fact]
    public void Init_writes_a_prelude_that_makes_a_recipe_compile_on_its_own_and_tinyrun_ignores_it()
    {
        using var dir = new TempDirectory();
        var init = Run.Tinyrun(dir.Path, "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.True(File.Exists(dir.Combine("omnisharp.json")));
        var recipe = dir.Write("editor.tiny.csx", Recipe);

        // What an editor sees: the recipe with the prelude, as a plain script with no globals.
        var options = ScriptOptions.Default.WithFilePath(recipe)
            .WithSourceResolver(new SourceFileResolver([], dir.Path))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(dir.Path));
        var errors = CSharpScript.Create(File.ReadAllText(recipe), options).Compile().Where(d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(errors);

        // What tinyrun does: the prelude reads as empty and the globals are tinyrun's.
        var build = Run.Tinyrun(dir.Path, "editor.tiny.csx", "--no-cache");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("init-test:1", build.Stdout);
    }

    [Fact]
    public void Init_makes_a_missing_directory_with_its_parents_and_refuses_a_file()
    {
        using var dir = new TempDirectory();
        var init = Run.Tinyrun(dir.Path, "init", "new/recipes");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.True(File.Exists(dir.Combine("new/recipes/tinyrun.editor.csx")), init.ToString());
        Assert.True(File.Exists(dir.Combine("new/recipes/omnisharp.json")), init.ToString());

        dir.Write("file", "kept\n");
        var onFile = Run.Tinyrun(dir.Path, "init", "file");
        Assert.Equal(1, onFile.ExitCode);
        Assert.Equal("tinyrun: file: not a directory; give the directory of the recipes (made if missing)\n", onFile.Stderr);
        Assert.Equal("kept\n", File.ReadAllText(dir.Combine("file")));
    }
}
