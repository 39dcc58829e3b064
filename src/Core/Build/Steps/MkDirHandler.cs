using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>MkDir</c>: a directory.</summary>
internal sealed class MkDirHandler : StepHandler<MkDirStep>
{
    protected override void Apply(MkDirStep step, BuildContext context) =>
        context.Own([context.Tree.Add(FileEntry.Directory(step.Path, step.Mode, BuildContext.From(step)))], step.Owner, step, step.Path);
}
