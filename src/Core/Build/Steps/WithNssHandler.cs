using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithNss</c>: a minimal nsswitch.conf, netbase's services and protocols, and the NSS modules it names.</summary>
internal sealed class WithNssHandler : StepHandler<WithNssStep>
{
    /// <summary>The minimal nsswitch.conf WithNss writes: glibc's built-in files and dns services only.</summary>
    public const string NsswitchConf =
        "passwd:         files\n" +
        "group:          files\n" +
        "shadow:         files\n" +
        "hosts:          files dns\n" +
        "networks:       files\n" +
        "protocols:      files\n" +
        "services:       files\n";

    protected override void Apply(WithNssStep step, BuildContext context)
    {
        var reason = BuildContext.From(step);
        context.Tree.Add(FileEntry.Inline("/etc/nsswitch.conf", Encoding.UTF8.GetBytes(NsswitchConf), 0x1A4, reason));
        foreach (var data in new[] { "/etc/services", "/etc/protocols" })
        {
            if (!context.IsRootFile(data))
                throw new TinyImageException($"WithNss: {data} does not exist {context.Root.Where}; {context.Root.HowToInstall("netbase")}");
            context.Root.AddFile(context.Tree, data, reason);
        }
        // glibc >= 2.34 has files and dns inside libc.so.6; libnss_files.so.2 and libnss_dns.so.2 are
        // stubs kept for old binaries. They are added when the root has them.
        if (context.FirstElf is not { } program) return;
        var modules = new List<string>();
        foreach (var service in new[] { "files", "dns" })
            if (context.Locator.Find($"libnss_{service}.so.2", program).Path is { } path)
                modules.Add(path);
        context.AddElfFiles(modules, reason.Because("NSS module named in /etc/nsswitch.conf"));
    }
}
