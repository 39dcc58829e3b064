using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>AddFile</c>: a regular file, through symlinks inside its tree.</summary>
internal sealed class AddFileHandler : StepHandler<AddFileStep>
{
    protected override void Apply(AddFileStep step, BuildContext context)
    {
        var files = context.FilesOf(step.Tree);
        var real = Executables.RealSource(files, step.Source, "AddFile");
        var status = files.Status(real);
        var mode = step.Mode ?? (step.Tree == SourceTree.Recipe ? HostFiles.NormalisedMode(status) : status.Mode);
        var entry = context.Tree.Add(FileEntry.HostFile(step.Destination, files.HostPath(real), mode, BuildContext.From(step)));
        context.Own([entry], step.Owner, step, step.Destination);
        if (ElfReader.IsElf(files.HostPath(real))) context.NoteElf(new ElfInput(entry.Path, files, real));
    }
}
