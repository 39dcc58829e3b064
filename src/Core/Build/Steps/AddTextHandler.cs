using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>AddText</c>: a file with the given UTF-8 text.</summary>
internal sealed class AddTextHandler : StepHandler<AddTextStep>
{
    protected override void Apply(AddTextStep step, BuildContext context) =>
        context.Own([context.Tree.Add(FileEntry.Inline(step.Destination, Encoding.UTF8.GetBytes(step.Text), step.Mode, BuildContext.From(step)))],
            step.Owner, step, step.Destination);
}
