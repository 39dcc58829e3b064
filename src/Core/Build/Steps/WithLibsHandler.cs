using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithLibs</c>: the ELF interpreter and library closure of every ELF file added so far.</summary>
internal sealed class WithLibsHandler : StepHandler<WithLibsStep>
{
    protected override void Apply(WithLibsStep step, BuildContext context) =>
        context.AddClosure(context.ElfFiles.Select(e => e.Input).ToList(), BuildContext.From(step));
}
