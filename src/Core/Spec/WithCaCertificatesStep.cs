namespace TinyImage.Core.Spec;

/// <summary>The CA bundle /etc/ssl/certs/ca-certificates.crt and OpenSSL's /usr/lib/ssl/{certs,cert.pem} links to it.</summary>
public sealed record WithCaCertificatesStep : BuildStep;
