using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>
/// <c>Trace</c>: runs the last program on the host under strace and adds what it opened; the only step that runs a program.
/// Each file it opened but did not add gets a note (once per path), saying why: under /proc, the host's accounts, gone...
/// </summary>
internal sealed class TraceHandler : StepHandler<TraceStep>
{
    protected override void Apply(TraceStep step, BuildContext context)
    {
        var root = context.Root;
        if (root.Root != "/")
            throw new TinyImageException("Trace: a program can only be traced on the host's own root, not inside a sysroot");
        var files = context.Tracer.Trace(step.Program, step.Arguments);
        var reason = BuildContext.From(step).Because($"opened by {step.Program} {string.Join(' ', step.Arguments)} under Trace");
        var elf = new List<string>();
        foreach (var file in files)
        {
            if (file.Path == step.Program) continue;
            if (file.LeftOut is { } why)
            {
                context.NoteOnce(file.Path, $"note: Trace left out {file.Path}: {why}");
                continue;
            }
            var resolved = root.Resolve(file.Path);
            var status = resolved is { } r ? root.Status(r.RealPath) : (HostFileStatus?)null;
            if (status is { IsDirectory: true }) continue; // a directory opened to be read: what the program read in it is a file of its own
            if (resolved is null || status is not { IsFile: true })
            {
                context.NoteOnce(file.Path, $"note: Trace left out {file.Path}: it is no longer a regular file in the root (the program removed it, or it is a FIFO, socket or device)");
                continue;
            }
            var isElf = ElfReader.IsElf(root.HostPath(resolved.Value.RealPath));
            if (file.Executed)
                Executables.Add(context, root, file.Path, file.Path, BuildContext.From(step).Because($"run by {step.Program} under Trace"));
            else if (!isElf)
                root.AddFile(context.Tree, file.Path, reason);
            if (isElf) elf.Add(file.Path);
        }
        context.AddElfFiles(elf, reason);
    }
}
