using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithUser</c>: /etc/passwd and /etc/group with root and every user added, and the user's home.</summary>
internal sealed class WithUserHandler : StepHandler<WithUserStep>
{
    protected override void Apply(WithUserStep step, BuildContext context)
    {
        if (step.Uid != 0 && step.Name == "root")
            throw new TinyImageException($"WithUser(\"root\", {step.Uid}): root has uid 0; choose another name");
        if (context.Users.FirstOrDefault(u => u.Uid == step.Uid && u.Name != step.Name) is { Name: not null } other && step.Uid != 0)
            throw new TinyImageException($"WithUser(\"{step.Name}\", {step.Uid}): uid {step.Uid} already belongs to {other.Name}; choose another uid");
        context.Users.RemoveAll(u => u.Name == step.Name);
        context.Users.Add((step.Name, step.Uid, step.Gid));
        var reason = BuildContext.From(step);
        context.Tree.Add(FileEntry.Inline("/etc/passwd", Encoding.UTF8.GetBytes(AccountFiles.Passwd(context.Users)), 0x1A4, reason));
        context.Tree.Add(FileEntry.Inline("/etc/group", Encoding.UTF8.GetBytes(AccountFiles.Group(context.Users)), 0x1A4, reason));
        if (step.Uid == 0)
            context.Tree.Add(FileEntry.Directory("/root", 0x1C0, reason));
        else
            context.Tree.Add(FileEntry.Directory(AccountFiles.HomeOf(step.Name, step.Uid), 0x1ED, reason) with { Uid = step.Uid, Gid = step.Gid });
    }
}
