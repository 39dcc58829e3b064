using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithLibs</c>: the ELF interpreter and library closure of every ELF file added so far.</summary>
internal sealed class WithLibsHandler : StepHandler<WithLibsStep>
{
    // Relocatable objects and core files (a python.o in a library directory) are no one's to load: left as they are.
    protected override void Apply(WithLibsStep step, BuildContext context) =>
        context.AddClosure(context.ElfFiles.Where(e => Needs.StartChecks.IsLoadable(e.Info)).Select(e => e.Input).ToList(), BuildContext.From(step));
}
