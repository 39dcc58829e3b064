namespace TinyImage.Core.Spec;

/// <summary>/etc/passwd and /etc/group with root, nobody (65534) and every user added, without changing the user the container runs as.</summary>
public sealed record WithPasswdStep : BuildStep;
