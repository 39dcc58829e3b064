namespace TinyImage.Core.Spec;

/// <summary>
/// A minimal /etc/nsswitch.conf (files for accounts, files then dns for hosts), the NSS modules it
/// names that exist on the host with their library closure, and /etc/services and /etc/protocols.
/// </summary>
public sealed record WithNssStep : BuildStep;
