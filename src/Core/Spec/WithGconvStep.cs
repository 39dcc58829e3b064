using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// glibc's iconv configuration (gconv-modules, its cache and gconv-modules.d) and the gconv modules
/// for <see cref="Charsets"/> (every module when empty), each with its library closure.
/// </summary>
public sealed record WithGconvStep(ImmutableArray<string> Charsets) : BuildStep;
