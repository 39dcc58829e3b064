using System.CommandLine;
using TinyImage.Core;
using TinyImage.Core.Build;

namespace TinyImage.Runner;

/// <summary>The <c>tinyrun</c> command line: wires commands to their handlers and maps errors to exit codes.</summary>
internal static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static async Task<int> Main(string[] args)
    {
        Marks.At("main");
        if (args is [BuildServer.ServeArgument, var socketPath]) return await BuildServer.ServeAsync(socketPath).ConfigureAwait(false);
        Invocation.Start(stderrIsTerminal: !Console.IsErrorRedirected);
        if (BuildServerClient.GoesToServer(args) && await BuildServerClient.TryRunAsync(args).ConfigureAwait(false) is { } exitCode) return exitCode;
        using var lifetime = new ProcessLifetime();
        var code = await RunAsync(args, lifetime).ConfigureAwait(false);
        BuildServerClient.AwaitStarting();
        return code;
    }

    /// <summary>Runs the command <paramref name="args"/> name, in this process or in the build server; returns its exit code.</summary>
    internal static async Task<int> RunAsync(string[] args, ICommandLifetime lifetime)
    {
        var root = new RootCommand("""
            TinyImage: build the smallest correct container images from C# recipes (*.tiny.csx).

              tinyrun RECIPE [options]    build the images RECIPE defines, with the options below (tinyrun build RECIPE)
              tinyrun COMMAND ...         one of the commands below (tinyrun COMMAND --help)

            Examples:
              tinyrun recipes/hello.tiny.csx                 write out/hello.tar (docker load -i out/hello.tar)
              tinyrun recipes/bash-ls.tiny.csx --load        also load it into the Docker engine
              tinyrun app.tiny.csx --arg version=1.2 -o app.tar
              tinyrun deps /bin/ls                           the shared-library tree of a program
              tinyrun inspect out/hello.tar                  what an image archive holds

            Exit codes: 0 success, 1 build or recipe error, 2 usage error, 130 (143) cancelled by Ctrl-C (SIGTERM).
            With TINYRUN_SERVER=1, builds go through a server that stays up between them: about twice as fast (README).
            """);
        BuildCommand.AddTo(root, asRoot: true);
        root.Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(DepsCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(TestCommand.Create());
        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(LockCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());

        var strict = new Option<bool>("--strict")
        {
            Description = "Fail the build when a program in the image needs at run time what the image lacks (what the hints name); also TINYRUN_STRICT=1.",
        };
        // On every command that builds: tinyrun RECIPE, build, test and verify.
        root.Options.Add(strict);
        foreach (var command in root.Subcommands.Where(c => c.Name is "build" or "test" or "verify")) command.Options.Add(strict);

        var parsed = root.Parse(args);
        Marks.At("parsed");
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"tinyrun: {UsageError(root, args, parsed)}; run 'tinyrun --help' for usage");
            return ExitUsage;
        }
        // Read by ImagePipelineOptions.FromEnvironment, which every command that builds starts from.
        if (parsed.GetValue(strict)) Environment.SetEnvironmentVariable(ImagePipelineOptions.StrictVariable, "1");
        try
        {
            // Signals are handled by ProcessLifetime alone: System.CommandLine's own handling (ProcessTerminationTimeout) is off.
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parsed.InvokeAsync(configuration, lifetime.Token).ConfigureAwait(false);
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
        catch (OperationCanceledException e)
        {
            // Outputs are written to temporary names and renamed when complete; a load is all or nothing.
            if (lifetime.Signal is { } signal)
            {
                Console.Error.WriteLine($"tinyrun: cancelled ({signal}); every output is either complete or as it was before");
                return lifetime.InterruptedExitCode;
            }
            Console.Error.WriteLine($"tinyrun: stopped: {e.Message} (a timeout?); every output is either complete or as it was before");
            return ExitFailure;
        }
        finally
        {
            lifetime.Finish();
        }
    }

    /// <summary>
    /// A command line's errors on one line. An option no command has is named as such: the parser may take it for the
    /// recipe and blame the word after it ("Unrecognized command or argument 'recipes/hello.tiny.csx'").
    /// </summary>
    private static string UsageError(RootCommand root, string[] args, ParseResult parsed)
    {
        var options = CommandsUnder(root).SelectMany(c => c.Options).ToList();
        var names = options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
        var takingValues = options.Where(o => o.Arity.MaximumNumberOfValues > 0).SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
        bool Known(string token) =>
            names.Contains(token.Split('=', ':')[0])
            || (token.Length > 2 && token[1] != '-' && token[1..].All(letter => names.Contains("-" + letter))); // -qv
        for (var i = 0; i < args.Length && args[i] != "--"; i++)
        {
            if (args[i].Length > 1 && args[i][0] == '-' && !Known(args[i]) && !(i > 0 && takingValues.Contains(args[i - 1])))
                return $"unknown option '{args[i]}'";
        }
        return string.Join("; ", parsed.Errors.Select(e => OneLine(e.Message)));
    }

    /// <summary><paramref name="command"/> and every command below it (cache prune is below cache).</summary>
    private static IEnumerable<Command> CommandsUnder(Command command) => command.Subcommands.SelectMany(CommandsUnder).Prepend(command);

    /// <summary>A parser message on one line, without its final period: "Must be one of:" and its list of values become "Must be one of: 'a', 'b'".</summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (lines.Length > 1 && lines[0].EndsWith(':') ? $"{lines[0]} {string.Join(", ", lines[1..])}" : string.Join(' ', lines)).TrimEnd('.'); // '; ' follows
    }
}
