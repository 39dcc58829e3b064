using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>AddBinary</c>: an ELF program or a <c>#!</c> script with its interpreter.</summary>
internal sealed class AddBinaryHandler : StepHandler<AddBinaryStep>
{
    protected override void Apply(AddBinaryStep step, BuildContext context) =>
        Executables.Add(context, context.FilesOf(step.Tree), step.Source, step.Destination, BuildContext.From(step));
}
