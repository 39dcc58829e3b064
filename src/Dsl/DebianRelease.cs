using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>A Debian release to take packages from (<see cref="Debian.Release"/>).</summary>
public sealed class DebianRelease
{
    private readonly string _suite;
    private readonly string? _mirror;
    private readonly bool _withRecommends;

    internal DebianRelease(string suite, string? mirror, bool withRecommends)
    {
        _suite = suite;
        _mirror = mirror;
        _withRecommends = withRecommends;
    }

    /// <summary>The same release, installing Recommends too (by default only Depends and Pre-Depends).</summary>
    public DebianRelease WithRecommends() => new(_suite, _mirror, withRecommends: true);

    /// <summary>A root of exactly these packages and what they depend on: pass it to <c>.Root(...)</c>, which checks the names.</summary>
    public DebianPackages Install(params string[] packages) =>
        new(_suite, [.. packages]) { WithRecommends = _withRecommends, Mirror = _mirror };

    public override string ToString() => _suite;
}
