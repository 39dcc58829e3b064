using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>
/// <c>WithCaCertificates</c>: the CA bundle and the links OpenSSL looks through. A root of Debian packages has no bundle
/// (ca-certificates' postinst makes it with update-ca-certificates, and no maintainer script runs), so it is made here
/// as that script makes it: every certificate under /usr/share/ca-certificates, in path order, each ending in a newline.
/// </summary>
internal sealed class WithCaCertificatesHandler : StepHandler<WithCaCertificatesStep>
{
    private const string Bundle = "/etc/ssl/certs/ca-certificates.crt";
    private const string Certificates = "/usr/share/ca-certificates";
    private const int MaxCertificateBytes = 1 << 20;

    protected override void Apply(WithCaCertificatesStep step, BuildContext context)
    {
        var root = context.Root;
        var reason = BuildContext.From(step);
        var hasBundle = context.IsRootFile(Bundle);
        if (hasBundle && step.Extra.IsEmpty)
        {
            root.AddFile(context.Tree, Bundle, reason);
        }
        else
        {
            var text = new StringBuilder();
            if (hasBundle)
                Append(text, root.HostPath(root.Resolve(Bundle)!.Value.RealPath));
            else if (context.RealDirectory(Certificates) is { } directory)
                // Listed through the root, so no link in it is followed (to the host or anywhere else).
                foreach (var (path, host) in root.AddDirectory(new FileTree(), directory, directory, reason, normaliseModes: false).OrderBy(f => f.ImagePath, StringComparer.Ordinal))
                    if (path.EndsWith(".crt", StringComparison.Ordinal)) Append(text, host);
            if (text.Length == 0)
                throw new TinyImageException($"WithCaCertificates: neither {Bundle} nor {Certificates} exists {root.Where}; {root.HowToInstall("ca-certificates")}");
            foreach (var extra in step.Extra)
                Append(text, extra);
            context.Tree.Add(FileEntry.Inline(Bundle, Encoding.UTF8.GetBytes(text.ToString()), 0x1A4,
                reason.Because(hasBundle ? $"{Bundle} of {root.Describe()} and {string.Join(", ", step.Extra.Select(Path.GetFileName))}"
                    : $"made from {Certificates} as update-ca-certificates does")));
        }
        foreach (var link in new[] { "/usr/lib/ssl/certs", "/usr/lib/ssl/cert.pem" })
            context.AddLinksOnTheWay(link, reason);
        if (context.Tree.Find("/usr/lib/ssl/certs") is null && context.RealDirectory("/usr/lib/ssl") is not null)
            context.Tree.Add(FileEntry.Link("/usr/lib/ssl/certs", "/etc/ssl/certs", reason));
    }

    private static void Append(StringBuilder bundle, string hostPath)
    {
        var text = Encoding.UTF8.GetString(RegularFile.ReadAllBytes(hostPath, MaxCertificateBytes));
        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            throw new TinyImageException($"WithCaCertificates: {hostPath} holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        bundle.Append(text);
        if (!text.EndsWith('\n')) bundle.Append('\n');
    }
}
