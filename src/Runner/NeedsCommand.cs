using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary>
/// <c>tinyrun deps --needs FILE...|RECIPE</c>: what programs need at run time beyond their libraries, one line per need:
/// the file, what shows it (the imported symbol), what it needs, and whether the image provides it or the call that would.
/// </summary>
internal static class NeedsCommand
{
    private const string RecipeSuffix = ".csx";

    public static async Task WriteAsync(IReadOnlyList<string> arguments, string? rootDirectory, CancellationToken cancellationToken)
    {
        if (rootDirectory is not null && !Directory.Exists(rootDirectory))
            throw new TinyImageException($"--root {rootDirectory}: no such directory");
        var host = new HostFiles(rootDirectory ?? "/");
        if (arguments.Any(a => a.EndsWith(RecipeSuffix, StringComparison.Ordinal)))
        {
            if (arguments.Count != 1) throw new TinyImageException("deps --needs takes one recipe, or ELF files; not both");
            using var service = await BuildService.OpenAsync(arguments[0], new BuildService.Options(), new Reporter(quiet: true, verbose: false), cancellationToken).ConfigureAwait(false);
            foreach (var (spec, reference) in service.Images)
            {
                if (spec.Packages is not null || spec.RootImage is not null || spec.Base is not null)
                    throw new TinyImageException(SourceLocation.Prefix(spec.Origin, "deps --needs reads images from the host or a sysroot; build this one: the build prints a hint for each unmet need"));
                Console.WriteLine($"{reference}:");
                var tree = await service.Pipeline.AssembleAsync(spec with { PackageMetadata = false }, platform: null, cancellationToken).ConfigureAwait(false);
                Write(tree, new ResolverOptions { Files = spec.Root is { } r ? new HostFiles(r) : host }, indent: "  ");
            }
            return;
        }
        var paths = arguments.Select(p => rootDirectory is null ? Path.GetFullPath(p) : ImagePath.Normalize(p)).ToList();
        var options = new ResolverOptions { Files = host };
        Write(await BuildService.ForFiles(options).AssembleAsync(DepsCommand.ProgramsImage(host, paths), platform: null, cancellationToken).ConfigureAwait(false), options, indent: "");
    }

    private static void Write(FileTree tree, ResolverOptions options, string indent)
    {
        var image = new ImageView(tree);
        var needs = RuntimeNeeds.Distinct(new RuntimeNeedScanner(options).Scan(image.ElfFiles()));
        if (needs.Count == 0) Console.WriteLine($"{indent}no runtime needs beyond the libraries");
        foreach (var need in needs)
            Console.WriteLine(indent + need.Describe(RuntimeNeedTable.Rule(need.Kind).IsMet(image, need.Detail)));
    }
}
