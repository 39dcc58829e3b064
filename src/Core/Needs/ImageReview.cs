using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Needs;

/// <summary>
/// Looks at an assembled image before it is written: <see cref="StartChecks"/> (an error when it cannot start), then
/// the runtime needs its ELF files leave unmet, each a hint (never a change to the image), or one error when strict.
/// An image on a base image is not reviewed: the base's files are not in the tree.
/// </summary>
public static class ImageReview
{
    /// <param name="hint">Where hints and notes go, a line each (stderr in tinyrun).</param>
    /// <param name="strict">Unmet needs are an error (<c>--strict</c>, <c>.Strict()</c>).</param>
    /// <param name="strings">Where files' string constants are remembered between builds (see <see cref="RuntimeNeedScanner"/>); null: none.</param>
    /// <exception cref="TinyImageException">The image cannot start, or has unmet needs and is strict.</exception>
    public static void Review(ImageSpec spec, FileTree tree, ResolverOptions resolver, Action<string> hint, bool strict, FileHashMemo? strings = null)
    {
        if (spec.Base is not null) return;
        var image = new ImageView(tree);
        var elfFiles = ReadAll(image.ElfFiles());
        var unloadable = elfFiles.Where(e => !StartChecks.IsLoadable(e.Info)).ToList();
        if (unloadable.Count > 0 && spec.Steps.OfType<WithLibsStep>().Any())
            hint($"note: WithLibs left alone {unloadable.Count} ELF file{(unloadable.Count == 1 ? "" : "s")} that cannot be loaded " +
                 $"(relocatable objects, core files), e.g. {unloadable[0].ImagePath} ({unloadable[0].Info.Type})");

        var problems = StartChecks.Problems(spec.Config, image, [.. elfFiles.Select(e => (e.ImagePath, e.Info))]);
        if (problems.Count > 0)
            throw new TinyImageException(SourceLocation.Prefix(spec.Origin, string.Join("; ", problems)));
        foreach (var note in StartChecks.Notes(spec.Config, image)) hint(note);

        var unmet = RuntimeNeeds.Unmet(image, new RuntimeNeedScanner(resolver, strings).Scan(elfFiles.Select(e => (e.ImagePath, e.HostPath))));
        if (strict && unmet.Count > 0)
            throw new TinyImageException(SourceLocation.Prefix(spec.Origin,
                $"unmet runtime needs (strict): {string.Join("; ", unmet)}; add these calls, or .WithRuntimeNeeds() for all"));
        foreach (var need in unmet) hint($"hint: {need}");
    }

    private static List<(string ImagePath, string HostPath, ElfInfo Info)> ReadAll(IEnumerable<(string ImagePath, string HostPath)> files)
    {
        var result = new List<(string, string, ElfInfo)>();
        foreach (var (imagePath, hostPath) in files)
        {
            try { result.Add((imagePath, hostPath, ElfReader.Read(hostPath))); }
            catch (TinyImageException) { }
        }
        return result;
    }
}
