using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithPasswd</c>: /etc/passwd and /etc/group with root, nobody and every user added; the image's user is left as it is.</summary>
internal sealed class WithPasswdHandler : StepHandler<WithPasswdStep>
{
    /// <summary>The unprivileged account every Debian system has.</summary>
    public const int NobodyId = 65534;

    protected override void Apply(WithPasswdStep step, BuildContext context) => Apply(context, BuildContext.From(step));

    /// <summary>Writes the account files with nobody added to the accounts so far.</summary>
    public static void Apply(BuildContext context, Provenance reason)
    {
        if (!context.Users.Any(u => u.Name == "nobody" || u.Uid == NobodyId)) context.Users.Add(("nobody", NobodyId, NobodyId));
        context.Tree.Add(FileEntry.Inline("/etc/passwd", Encoding.UTF8.GetBytes(AccountFiles.Passwd(context.Users)), 0x1A4, reason));
        context.Tree.Add(FileEntry.Inline("/etc/group", Encoding.UTF8.GetBytes(AccountFiles.Group(context.Users)), 0x1A4, reason));
    }
}
