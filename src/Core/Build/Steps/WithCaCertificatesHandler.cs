using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithCaCertificates</c>: the CA bundle and the links OpenSSL looks through.</summary>
internal sealed class WithCaCertificatesHandler : StepHandler<WithCaCertificatesStep>
{
    private const string Bundle = "/etc/ssl/certs/ca-certificates.crt";

    protected override void Apply(WithCaCertificatesStep step, BuildContext context)
    {
        if (!context.IsRootFile(Bundle))
            throw new TinyImageException($"WithCaCertificates: {Bundle} does not exist {context.Root.Where}; {context.Root.HowToInstall("ca-certificates")}");
        var reason = $"WithCaCertificates at {BuildContext.Where(step)}";
        context.Root.AddFile(context.Tree, Bundle, reason);
        foreach (var link in new[] { "/usr/lib/ssl/certs", "/usr/lib/ssl/cert.pem" })
            context.AddLinksOnTheWay(link, reason);
    }
}
