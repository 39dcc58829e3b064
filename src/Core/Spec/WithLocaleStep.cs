namespace TinyImage.Core.Spec;

/// <summary>A compiled locale directory from /usr/lib/locale, e.g. C.utf8 (found also when written C.UTF-8).</summary>
public sealed record WithLocaleStep(string Name) : BuildStep;
