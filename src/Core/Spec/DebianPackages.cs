using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// A root made of Debian packages: exactly <see cref="Names"/> and what they depend on (Depends and Pre-Depends),
/// unpacked without running any maintainer script, for the image's platform, pinned by the recipe's lock file.
/// </summary>
/// <param name="Suite">The release, e.g. <c>bookworm</c>.</param>
/// <param name="Names">The packages asked for, in the order given.</param>
public sealed record DebianPackages(string Suite, ImmutableArray<string> Names)
{
    /// <summary>Also install Recommends.</summary>
    public bool WithRecommends { get; init; }

    /// <summary>The archive's URI; null: the one the machine's apt configuration names for <see cref="Suite"/>.</summary>
    public string? Mirror { get; init; }

    public bool Equals(DebianPackages? other) =>
        other is not null && Suite == other.Suite && Names.SequenceEqual(other.Names) && WithRecommends == other.WithRecommends && Mirror == other.Mirror;

    public override int GetHashCode() => HashCode.Combine(Suite, string.Join(' ', Names), WithRecommends, Mirror);

    public override string ToString() => $"{Suite}: {string.Join(' ', Names)}{(WithRecommends ? " (with Recommends)" : "")}";
}
