using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Presets;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>
/// <c>WithPythonStdlib</c>, <c>WithGitCore</c>, <c>WithPerlModules</c>, <c>WithPostgresData</c> (<see cref="ProgramPresets"/>): the directories of the first program of
/// the image the preset recognises, found next to it in the root, less what the preset and the step leave out, with
/// the library closure of the loadable ELF files in them (python's C modules bring libsqlite3, libssl...).
/// </summary>
internal sealed class WithProgramDataHandler : StepHandler<WithProgramDataStep>
{
    protected override void Apply(WithProgramDataStep step, BuildContext context)
    {
        var preset = ProgramPresets.Named(step.Preset);
        Apply(preset, step.Exclude, context, BuildContext.From(step, preset.StepName));
    }

    /// <summary>Adds <paramref name="preset"/>'s directories for the program it recognises in the image (also for WithRuntimeNeeds).</summary>
    public static void Apply(ProgramPreset preset, IReadOnlyList<string> exclude, BuildContext context, Provenance reason)
    {
        var match = new ImageView(context.Tree).ElfFiles().Select(e => preset.Recognise(e.ImagePath)).FirstOrDefault(m => m is not null)
            ?? throw new TinyImageException($"{preset.Call}: the image has no {preset.Name} program yet; add it first, e.g. .AddBinary(\"{preset.Example}\")");
        var elfFiles = new List<ElfInput>();
        foreach (var directory in preset.Directories)
        {
            var candidates = directory.Candidates.Select(c => ProgramPreset.Fill(c, match)).ToList();
            var found = candidates.SelectMany(c => Directories(context, c)).FirstOrDefault();
            if (found is null)
            {
                if (directory.Optional) continue;
                throw new TinyImageException($"{preset.Call}: {string.Join(" or ", candidates)} is not a directory {context.Root.Where}; " +
                                             $"install {preset.Name}'s data there, or add what it needs with .AddDirectory(...)");
            }
            var leftOut = directory.Exclude.Concat(exclude)
                .Concat(directory.ExcludeUnless.Where(c => !HasFile(context, ImagePath.Combine(found, c.Directory), c.File)).SelectMany(c => c.Exclude));
            elfFiles.AddRange(context.AddRootDirectory(found, reason.Because($"{preset.Name}'s data for {match.Value}"), new PathFilter([], [.. leftOut])));
        }
        // Relocatable objects (python.o in config-X.Y) are no one's to load.
        context.AddClosure([.. context.ElfFiles.Where(e => elfFiles.Contains(e.Input) && StartChecks.IsLoadable(e.Info)).Select(e => e.Input)], reason);
    }

    /// <summary>The directories of the root that <paramref name="pattern"/> names, its <c>*</c>s matched name by name, in order.</summary>
    private static IEnumerable<string> Directories(BuildContext context, string pattern)
    {
        var found = new List<string> { "/" };
        foreach (var name in pattern.Split('/', StringSplitOptions.RemoveEmptyEntries))
            found = [.. found.SelectMany(parent => !name.Contains('*') ? [ImagePath.Combine(parent, name)]
                : Names(context, parent, Directory.EnumerateDirectories).Where(n => Wildcard.IsMatch(n, name)).Order(StringComparer.Ordinal).Select(n => ImagePath.Combine(parent, n)))];
        return found.Where(d => context.RealDirectory(d) is not null);
    }

    private static bool HasFile(BuildContext context, string directory, string name) =>
        Names(context, directory, Directory.EnumerateFiles).Any(n => Wildcard.IsMatch(n, name));

    /// <summary>The names <paramref name="list"/> gives in the root's directory <paramref name="directory"/> (none when it is not one).</summary>
    private static List<string> Names(BuildContext context, string directory, Func<string, IEnumerable<string>> list)
    {
        if (context.RealDirectory(directory) is not { } real) return [];
        try
        {
            InputRecorder.Observe(context.Root.HostPath(real));
            return [.. list(context.Root.HostPath(real)).Select(Path.GetFileName).OfType<string>()];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"{directory}: cannot list it {context.Root.Where}: {e.Message}; check its permissions", e);
        }
    }
}
