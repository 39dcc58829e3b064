using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>AddDirectory</c>: a directory tree, links inside it kept as links and never followed.</summary>
internal sealed class AddDirectoryHandler : StepHandler<AddDirectoryStep>
{
    protected override void Apply(AddDirectoryStep step, BuildContext context)
    {
        var files = context.FilesOf(step.Tree);
        var reason = BuildContext.From(step);
        var copied = files.AddDirectory(context.Tree, step.Source, step.Destination, reason,
            normaliseModes: step.Tree == SourceTree.Recipe, new PathFilter(step.Include, step.Exclude));
        if (step.Owner is not null)
        {
            // Every entry the copy made: the destination and what is under it, with this step's provenance.
            var top = context.Tree.ResolveParents(ImagePath.Normalize(step.Destination));
            var under = top == "/" ? "/" : top + "/";
            var entries = context.Tree.Paths.Where(p => p == top || p.StartsWith(under, StringComparison.Ordinal))
                .Select(p => context.Tree.Find(p)!).Where(e => e.Provenance == reason).ToList();
            context.Own(entries, step.Owner, step, step.Destination);
        }
        foreach (var (imagePath, hostPath) in copied)
            if (ElfReader.IsElf(hostPath)) context.NoteElf(new ElfInput(imagePath, context.RecipeFiles, hostPath));
    }
}
