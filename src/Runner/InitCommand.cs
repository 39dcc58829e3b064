using System.CommandLine;

namespace TinyImage.Runner;

/// <summary><c>tinyrun init [DIR]</c>: editor support for recipes in a directory.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("directory") { Description = "Where the recipes are (default: the current directory).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("init", $"""
            Write editor support for recipes: omnisharp.json (C# scripts on) and {EditorSupport.PreludeName},
            which declares what tinyrun gives recipes. Then start each recipe with
              #load "{EditorSupport.PreludeName}"
            for completion in VS Code with OmniSharp. tinyrun itself ignores that file.

            Examples:
              tinyrun init recipes
            """) { directory };
        command.SetAction(parse =>
        {
            foreach (var path in EditorSupport.Write(parse.GetValue(directory) ?? "."))
                Reporter.Result($"wrote {path}");
            return Program.ExitOk;
        });
        return command;
    }
}
