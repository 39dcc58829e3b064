namespace TinyImage.Core.Spec;

/// <summary>
/// An account: /etc/passwd and /etc/group hold root and every user added so far, and the user gets
/// a home directory /home/NAME that it owns (root's is /root).
/// </summary>
public sealed record WithUserStep(string Name, int Uid, int Gid) : BuildStep;
