using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using TinyImage.Core;
using TinyImage.Core.Layers;
using TinyImage.Core.Packages;
using TinyImage.Core.Sinks;

namespace TinyImage.Runner;

/// <summary>
/// <c>tinyrun cache</c>: where the caches are and what they hold; <c>tinyrun cache prune [--max-size SIZE] [--all]</c>:
/// evicts the least recently used layers of the layer cache (and what killed builds left there).
/// </summary>
internal static partial class CacheCommand
{
    /// <summary>What <c>prune</c> keeps when given no size.</summary>
    private const string DefaultMaxSize = "5GB";

    public static Command Create()
    {
        var command = new Command("cache", """
            Show where tinyrun's caches are (TINYRUN_CACHE, else $XDG_CACHE_HOME/tinyrun, else ~/.cache/tinyrun) and
            how much they hold: compressed layers, compiled recipes, Debian packages, base images, dpkg indexes, load history.

            Examples:
              tinyrun cache
              tinyrun cache prune --max-size 2GB
            """);
        command.SetAction(_ =>
        {
            var root = CacheLocation.Root();
            var layers = new LayerCache(LayerCache.DefaultDirectory());
            var usage = layers.Measure();
            var total = DirectorySize(root);
            Reporter.Result($"cache: {root}  {Sizes.Format(total)}");
            Reporter.Result($"  layers: {layers.Directory}  {Count(usage.Layers)}, {Sizes.Format(usage.Bytes)}" +
                            (usage.TemporaryBytes > 0 ? $" (and {Sizes.Format(usage.TemporaryBytes)} of temporary files)" : ""));
            var recipes = RecipeCache.Measure(root);
            Reporter.Result($"  compiled recipes: {root}  {Count(recipes.Recipes, "recipe")}, {Sizes.Format(recipes.Bytes)}" +
                            (recipes.Unused > 0 ? $" (and {recipes.Unused} no longer used, {Sizes.Format(recipes.UnusedBytes)}: tinyrun cache prune removes them)" : ""));
            var listed = usage.Bytes + usage.TemporaryBytes + recipes.Bytes + recipes.UnusedBytes;
            foreach (var (name, what) in new[] { ("debian", "Debian packages"), ("blobs", "base images"), ("dpkg", "dpkg indexes"), ("loads", "load history") })
            {
                var directory = Path.Combine(root, name);
                if (!Directory.Exists(directory)) continue;
                var size = DirectorySize(directory);
                listed += size;
                Reporter.Result($"  {what}: {directory}  {Sizes.Format(size)} (kept; remove the directory when no build runs to free it)");
            }
            if (total > listed) Reporter.Result($"  the rest: {Sizes.Format(total - listed)}");
            return Program.ExitOk;
        });
        command.Subcommands.Add(CreatePrune());
        return command;
    }

    private static Command CreatePrune()
    {
        var maxSize = new Option<string?>("--max-size") { Description = $"Keep at most this much of the most recently used layers, e.g. 500MB, 2GB, 1GiB (default {DefaultMaxSize})." };
        var all = new Option<bool>("--all") { Description = "Remove every cached layer, and every record of what builds found in dpkg databases." };
        var command = new Command("prune", $"""
            Remove the least recently used layers from the layer cache until it holds at most --max-size
            (default {DefaultMaxSize}), the temporary files of killed builds, and the compiled recipes no longer
            used (a recompile leaves the one before; a recipe file that is gone leaves its own), the load history of
            recipe files that are gone, and what builds found in dpkg databases that changed since or over 30 days
            ago. Waits for builds that are using the cache; a build started meanwhile waits for the prune. Current compiled recipes, Debian packages and base images are kept.

            Examples:
              tinyrun cache prune
              tinyrun cache prune --max-size 500MB
              tinyrun cache prune --all
            """) { maxSize, all };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var size = parse.GetValue(maxSize);
            if (size is not null && parse.GetValue(all))
            {
                Console.Error.WriteLine("tinyrun: give --max-size or --all, not both");
                return Program.ExitUsage;
            }
            if (ParseSize(parse.GetValue(all) ? "0" : size ?? DefaultMaxSize) is not { } maxBytes)
            {
                Console.Error.WriteLine($"tinyrun: --max-size '{size}' is not a size; give e.g. 500MB, 2GB, 1GiB or 0");
                return Program.ExitUsage;
            }
            var cache = new LayerCache(LayerCache.DefaultDirectory());
            var (removed, left) = await cache.PruneAsync(maxBytes,
                () => Console.Error.WriteLine("tinyrun: waiting for running builds to stop using the layer cache..."), cancellationToken).ConfigureAwait(false);
            var recipes = RecipeCache.RemoveUnused(CacheLocation.Root());
            var loads = LoadHistory.Prune(CacheLocation.Root());
            Reporter.Result($"removed {Count(removed.Layers)} ({Sizes.Format(removed.Bytes)}), {Sizes.Format(removed.TemporaryBytes)} of temporary files " +
                            $"and {Count(recipes.Removed, "unused compiled recipe")} ({Sizes.Format(recipes.Bytes)}); {cache.Directory} holds {Count(left.Layers)}, {Sizes.Format(left.Bytes)}");
            if (loads.Bytes > 0) Reporter.Result($"removed {Count(loads.Records, "load record")} of recipes that are gone ({Sizes.Format(loads.Bytes)})");
            var owners = DpkgOwnersMemo.Prune(Path.Combine(CacheLocation.Root(), "dpkg"), all: parse.GetValue(all));
            if (owners.Bytes > 0) Reporter.Result($"removed {Count(owners.Records, "record")} of dpkg databases that changed since ({Sizes.Format(owners.Bytes)})");
            return Program.ExitOk;
        });
        return command;
    }

    /// <summary>
    /// Bytes from "500MB", "2 GB", "1.5GiB", "300k" or "1048576": decimal units (kB, MB, GB, TB; the B may be left
    /// out) as <see cref="Sizes"/> prints them, binary ones (KiB, MiB, GiB, TiB); null for anything else.
    /// </summary>
    internal static long? ParseSize(string text)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success) return null;
        var number = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value.ToUpperInvariant();
        var power = unit.Length == 0 || unit == "B" ? 0 : "KMGT".IndexOf(unit[0], StringComparison.Ordinal) + 1;
        var multiplier = (decimal)Math.Pow(unit.Contains('I', StringComparison.Ordinal) ? 1024 : 1000, power);
        var bytes = number * multiplier;
        return bytes > long.MaxValue ? null : (long)bytes;
    }

    [GeneratedRegex(@"^(\d{1,15}(?:\.\d{1,6})?)\s*([kKmMgGtT](?:i?[bB])?|[bB])?$")]
    private static partial Regex SizePattern();

    private static string Count(int layers) => Count(layers, "layer");

    private static string Count(int count, string what) => count == 1 ? $"1 {what}" : $"{count} {what}s";

    private static long DirectorySize(string directory)
    {
        try
        {
            return Directory.Exists(directory)
                ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot read the cache '{directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE", e);
        }
    }
}
