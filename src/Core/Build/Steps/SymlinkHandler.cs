using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>Symlink</c>: a symbolic link, stored as given.</summary>
internal sealed class SymlinkHandler : StepHandler<SymlinkStep>
{
    protected override void Apply(SymlinkStep step, BuildContext context) =>
        context.Tree.Add(FileEntry.Link(step.Path, step.Target, BuildContext.From(step)));
}
