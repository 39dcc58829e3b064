using System.CommandLine;
using TinyImage.Core.Build;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Sinks;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary><c>tinyrun test RECIPE</c>: builds the images, loads them into Docker and runs every test the recipe declares.</summary>
internal static class TestCommand
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var recipe = new Argument<string>("recipe") { Description = "The recipe whose images to build and test." };
        var args = CommandLineValues.Arguments("A recipe parameter NAME=VALUE; repeatable.");
        var noCache = new Option<bool>("--no-cache") { Description = "Compile the recipe even if the compiled-recipe cache holds it." };
        var command = new Command("test", """
            Build the recipe's images, load them into the Docker engine and run the tests the recipe
            declares with .Test(...), .TestPathExists(...) and .TestPathMissing(...), each in a new
            container with no network. Exits 1 if any test fails.

            Examples:
              tinyrun test recipes/bash-ls.tiny.csx
            """) { recipe, args, noCache };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new BuildCommand.Settings(parse.GetValue(recipe)!, null, Load: true, null,
                parse.GetValue(args)!, !parse.GetValue(noCache));
            var built = await BuildCommand.BuildAsync(settings, new Reporter(quiet: false, verbose: false), cancellationToken).ConfigureAwait(false);
            return await RunTestsAsync(built, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunTestsAsync(IReadOnlyList<(ImageSpec Spec, BuiltImage Image)> built, CancellationToken cancellationToken)
    {
        using var daemon = new DockerDaemon();
        int passed = 0, failed = 0;
        foreach (var (spec, image) in built)
        {
            var reference = image.Reference.ToString();
            foreach (var test in spec.Tests)
            {
                var problem = await CheckAsync(daemon, reference, test, cancellationToken).ConfigureAwait(false);
                if (problem is null)
                {
                    passed++;
                    Reporter.Result($"PASS  {reference}  {test.Name}");
                }
                else
                {
                    failed++;
                    Reporter.Result($"FAIL  {reference}  {test.Name}{(test.Origin is { } o ? $"  ({o})" : "")}\n{Indent(problem)}");
                }
            }
        }
        Reporter.Result($"{passed} passed, {failed} failed");
        return failed == 0 ? Program.ExitOk : Program.ExitFailure;
    }

    /// <summary>Null when the test passes, else what was expected and what happened.</summary>
    private static async Task<string?> CheckAsync(DockerDaemon daemon, string image, ImageTest test, CancellationToken cancellationToken)
    {
        if (test.Path is { } path)
        {
            var exists = await daemon.PathExistsAsync(image, path, cancellationToken).ConfigureAwait(false);
            return exists == test.PathShouldExist ? null
                : test.PathShouldExist ? $"expected {path} to exist; it does not" : $"expected {path} to be absent; it exists";
        }
        // Streamed: a container may print gigabytes; only what the checks and the report need is kept.
        using var stdout = new ContainerOutput(test.ExpectOutput, test.ExpectOutputContains);
        using var stderr = new ContainerOutput();
        var (exitCode, failure) = await daemon.RunAsync(image, test.Command ?? [], TestTimeout, stdout, stderr, cancellationToken).ConfigureAwait(false);
        stdout.Complete();
        stderr.Complete();
        var problems = new List<string>();
        if (exitCode != test.ExpectExitCode)
            problems.Add($"expected exit code {test.ExpectExitCode}, got {exitCode}");
        if (test.ExpectOutput is { } expected && !stdout.IsExpected)
            problems.Add($"expected output:\n{Indent(ContainerOutput.Abbreviate(expected.TrimEnd()))}\nactual output:\n{Indent(stdout.Shown)}");
        if (test.ExpectOutputContains is { } part && !stdout.ContainsExpectedPart)
            problems.Add($"expected output containing:\n{Indent(ContainerOutput.Abbreviate(part))}\nactual output:\n{Indent(stdout.Shown)}");
        var errors = failure ?? stderr.Shown;
        if (problems.Count > 0 && errors.Trim().Length > 0)
            problems.Add($"stderr:\n{Indent(errors.TrimEnd())}");
        return problems.Count == 0 ? null : string.Join('\n', problems);
    }

    private static string Indent(string text) => "    " + text.Replace("\n", "\n    ");
}
