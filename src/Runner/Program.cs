using System.CommandLine;
using TinyImage.Core;

namespace TinyImage.Runner;

/// <summary>The <c>tinyrun</c> command line: wires commands to their handlers and maps errors to exit codes.</summary>
internal static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("""
            TinyImage: build the smallest correct container images from C# recipes (*.tiny.csx).

            Examples:
              tinyrun recipes/hello.tiny.csx                 write out/hello.tar (docker load -i out/hello.tar)
              tinyrun recipes/bash-ls.tiny.csx --load        also load it into the Docker engine
              tinyrun app.tiny.csx --arg version=1.2 -o app.tar
              tinyrun deps /bin/ls                           the shared-library tree of a program
              tinyrun inspect out/hello.tar                  what an image archive holds

            Exit codes: 0 success, 1 build or recipe error, 2 usage error.
            """);
        BuildCommand.AddTo(root, asRoot: true);
        root.Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(DepsCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(TestCommand.Create());
        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"tinyrun: {error.Message}");
            Console.Error.WriteLine("Run 'tinyrun --help' for usage.");
            return ExitUsage;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token).ConfigureAwait(false);
        }
        catch (RecipeCompilationException e)
        {
            foreach (var line in e.Diagnostics) Console.Error.WriteLine(line);
            return ExitFailure;
        }
        catch (TinyImageException e)
        {
            Console.Error.WriteLine($"tinyrun: {e.Message}");
            return ExitFailure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file we could not read or write (a full disk, a permission): temporary files are already removed.
            Console.Error.WriteLine($"tinyrun: {e.Message}; nothing was written");
            return ExitFailure;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("tinyrun: cancelled; no output was written");
            return ExitFailure;
        }
    }
}
