namespace TinyImage.Core.Spec;

/// <summary>
/// Time zone data from /usr/share/zoneinfo: the whole tree when <see cref="Zone"/> is null, else that
/// one zone and an /etc/localtime link to it.
/// </summary>
public sealed record WithTimezonesStep(string? Zone) : BuildStep;
