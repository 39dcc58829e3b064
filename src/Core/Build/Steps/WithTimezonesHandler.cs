using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithTimezones</c> and <c>WithTimezone(zone)</c>: the zoneinfo tree, or one zone as /etc/localtime.</summary>
internal sealed class WithTimezonesHandler : StepHandler<WithTimezonesStep>
{
    private const string Zoneinfo = "/usr/share/zoneinfo";

    protected override void Apply(WithTimezonesStep step, BuildContext context)
    {
        var reason = BuildContext.From(step, step.Zone is null ? "WithTimezones" : "WithTimezone");
        if (context.RealDirectory(Zoneinfo) is null)
            throw new TinyImageException($"WithTimezones: {Zoneinfo} does not exist {context.Root.Where}; {context.Root.HowToInstall("tzdata")}");
        if (step.Zone is null)
        {
            context.AddRootDirectory(Zoneinfo, reason);
            return;
        }
        var zone = Zoneinfo + "/" + step.Zone;
        if (!context.IsRootFile(zone))
            throw new TinyImageException($"WithTimezone(\"{step.Zone}\"): {zone} does not exist; use a name from {Zoneinfo}, e.g. Europe/Paris or Etc/UTC");
        context.Root.AddFile(context.Tree, zone, reason);
        context.Tree.Add(FileEntry.Link("/etc/localtime", zone, reason));
    }
}
