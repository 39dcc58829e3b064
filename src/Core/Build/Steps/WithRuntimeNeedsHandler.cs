using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>
/// <c>WithRuntimeNeeds</c>: provides what the image's ELF files need at run time and the image lacks, each by the step
/// that provides it alone (<see cref="RuntimeNeedTable"/>), with the smallest content: root and nobody; /bin/sh only for
/// a program that imports popen or system; gconv modules only for character sets its strings name; C.utf8; a program's own
/// data by its preset (python's standard library). What it cannot provide
/// (a gconv need naming no set, something the root lacks) is left to the build's hint. Files it adds are looked at again.
/// </summary>
internal sealed class WithRuntimeNeedsHandler : StepHandler<WithRuntimeNeedsStep>
{
    private const int MaxRounds = 4;

    protected override void Apply(WithRuntimeNeedsStep step, BuildContext context)
    {
        var reason = BuildContext.From(step);
        var tried = new HashSet<(RuntimeNeedKind, string?)>();
        for (var round = 0; round < MaxRounds; round++)
        {
            var image = new ImageView(context.Tree);
            var unmet = RuntimeNeeds.Unmet(image, new RuntimeNeedScanner(context.Resolver.Options).Scan(image.ElfFiles()))
                .Where(n => tried.Add((n.Kind, n.Detail))).ToList();
            if (unmet.Count == 0) return;
            foreach (var need in unmet)
            {
                try
                {
                    Provide(need, step, context, reason with { Detail = $"{need.Kind} need of {need.File} ({need.Evidence})" });
                }
                catch (TinyImageException)
                {
                    // The root lacks it (e.g. no netbase): the build's hint names the call, whose own error says what to install.
                }
            }
        }
    }

    private static void Provide(RuntimeNeed need, WithRuntimeNeedsStep step, BuildContext context, Provenance reason)
    {
        switch (need.Kind)
        {
            case RuntimeNeedKind.Accounts: WithPasswdHandler.Apply(context, reason); break;
            case RuntimeNeedKind.NameService: new WithNssHandler().Apply(new WithNssStep { Origin = step.Origin }, context); break;
            case RuntimeNeedKind.Gconv when need.Detail is { } charsets:
                new WithGconvHandler().Apply(new WithGconvStep([.. charsets.Split(',')]) { Origin = step.Origin }, context); break;
            // Only for a program that runs the shell itself (popen, system); an exec of a "/bin/sh" string may be a fallback.
            case RuntimeNeedKind.Shell when RuntimeNeedTable.KindOf(need.Symbol) is not null && context.IsRootFile(RuntimeNeedTable.ShellPath):
                context.AddElfFiles([RuntimeNeedTable.ShellPath], reason); break;
            case RuntimeNeedKind.Timezones: new WithTimezonesHandler().Apply(new WithTimezonesStep(null) { Origin = step.Origin }, context); break;
            case RuntimeNeedKind.Locales: new WithLocaleHandler().Apply(new WithLocaleStep("C.utf8") { Origin = step.Origin }, context); break;
            case RuntimeNeedKind.Libgcc: new AddLibraryHandler().Apply(new AddLibraryStep("libgcc_s.so.1", "libgcc-s1") { Origin = step.Origin }, context); break;
            case RuntimeNeedKind.CaCertificates: new WithCaCertificatesHandler().Apply(new WithCaCertificatesStep { Origin = step.Origin }, context); break;
            case RuntimeNeedKind.InterpreterData when Presets.ProgramPresets.Recognise(need.File) is var (preset, _):
                WithProgramDataHandler.Apply(preset, [], context, reason); break;
            case RuntimeNeedKind.Library when need.Detail is { } library:
                new AddLibraryHandler().Apply(new AddLibraryStep(library) { Origin = step.Origin }, context); break;
        }
    }
}
