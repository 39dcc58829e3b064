namespace TinyImage.Core.Debian;

/// <summary>What a root asks for: these names from this suite and architecture (and components), with or without Recommends.</summary>
/// <param name="Suite">The suite or codename, e.g. <c>bookworm</c>.</param>
/// <param name="Architecture">The Debian architecture, e.g. <c>amd64</c> or <c>arm64</c>.</param>
/// <param name="Components">The components read, e.g. <c>main</c>.</param>
/// <param name="Names">The requested names (<c>NAME</c> or <c>NAME=VERSION</c>), in the recipe's order.</param>
/// <param name="IncludeRecommends">Whether Recommends are followed as well as Depends.</param>
public sealed record PackageRequest(string Suite, string Architecture, IReadOnlyList<string> Components, IReadOnlyList<string> Names, bool IncludeRecommends)
{
    /// <summary>Equals compares every field, the lists element by element.</summary>
    public bool Equals(PackageRequest? other) =>
        other is not null && Suite == other.Suite && Architecture == other.Architecture && IncludeRecommends == other.IncludeRecommends &&
        Components.SequenceEqual(other.Components, StringComparer.Ordinal) && Names.SequenceEqual(other.Names, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Suite, Architecture, IncludeRecommends, string.Join(' ', Components), string.Join(' ', Names));

    /// <summary>ToString writes the request as one line: <c>bookworm amd64 main: curl ca-certificates</c>.</summary>
    public override string ToString() =>
        $"{Suite} {Architecture} {string.Join(',', Components)}: {string.Join(' ', Names)}{(IncludeRecommends ? " (with Recommends)" : "")}";
}
