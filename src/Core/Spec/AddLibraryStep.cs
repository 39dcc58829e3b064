namespace TinyImage.Core.Spec;

/// <summary>
/// A shared library that no DT_NEEDED names (it is dlopen'd), found by <see cref="Soname"/> with the
/// loader's search rules, with its library closure. <see cref="Package"/> is the Debian package to
/// suggest when it is missing, if known.
/// </summary>
public sealed record AddLibraryStep(string Soname, string? Package = null) : BuildStep;
