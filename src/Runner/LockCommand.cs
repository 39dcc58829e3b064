using System.CommandLine;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary>
/// <c>tinyrun lock RECIPE</c>: resolves every Debian package set the recipe's images install, for each of their
/// platforms, and writes the lock file beside the recipe (NAME.tiny.lock), replacing what it pinned before.
/// </summary>
internal static class LockCommand
{
    public static Command Create()
    {
        var recipe = new Argument<string>("recipe") { Description = "The recipe, e.g. recipes/hello-deb.tiny.csx." };
        var args = CommandLineValues.Arguments("A recipe parameter NAME=VALUE, as given to the build; repeatable.");
        var platform = CommandLineValues.Platform("Lock for this platform only when the recipe names none (default: the host's).");
        var command = new Command("lock", """
            Resolve the Debian packages a recipe installs (.Root(Debian.Release(...).Install(...))) for each of its
            platforms and write the lock file beside it (app.tiny.csx -> app.tiny.lock). Builds then use exactly
            the pinned files, on any machine; commit the lock file. Run it again to take newer package versions.

            Examples:
              tinyrun lock recipes/hello-deb.tiny.csx
            """) { recipe, args, platform };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(recipe)!;
            var requested = parse.GetValue(platform);
            var specs = await new RecipeEvaluator(useCache: true, _ => { })
                .EvaluateAsync(path, parse.GetValue(args)!, cancellationToken).ConfigureAwait(false);
            var roots = BuildService.Roots(path, LockMode.Refresh, new Reporter(quiet: false, verbose: false));
            var locked = 0;
            foreach (var spec in specs)
            {
                if (spec.Packages is not { } packages) continue;
                var platforms = spec.Platforms.Length > 0 ? [.. spec.Platforms] : new[] { requested ?? Platform.Host() };
                foreach (var target in platforms)
                {
                    var pinned = await roots.PinAsync(packages, target, cancellationToken).ConfigureAwait(false);
                    Reporter.Result($"{packages} for {target}: {pinned.Packages.Count} packages, {Sizes.Format(pinned.TotalSize)}");
                    locked++;
                }
            }
            if (locked == 0)
                throw new TinyImageException($"{path}: installs no Debian packages, so there is nothing to lock; see .Root(Debian.Release(\"bookworm\").Install(...))");
            Reporter.Result($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, RootProvider.LockPathFor(Path.GetFullPath(path)))}");
            return Program.ExitOk;
        });
        return command;
    }
}
