using TinyImage.Core.Elf;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>AddDirectory</c>: a directory tree, links inside it kept as links and never followed.</summary>
internal sealed class AddDirectoryHandler : StepHandler<AddDirectoryStep>
{
    protected override void Apply(AddDirectoryStep step, BuildContext context)
    {
        var files = context.FilesOf(step.Tree);
        var copied = files.AddDirectory(context.Tree, step.Source, step.Destination, BuildContext.From(step),
            normaliseModes: step.Tree == SourceTree.Recipe, new FileSystem.PathFilter(step.Include, step.Exclude));
        foreach (var (imagePath, hostPath) in copied)
            if (ElfReader.IsElf(hostPath)) context.NoteElf(new ElfInput(imagePath, context.RecipeFiles, hostPath));
    }
}
