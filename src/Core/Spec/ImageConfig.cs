using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// The run-time settings of an image, as in the OCI image config's <c>config</c> object.
/// Null means "not set"; an empty array for <see cref="Entrypoint"/> or <see cref="Cmd"/> is written as such.
/// </summary>
public sealed record ImageConfig
{
    public ImmutableArray<string>? Entrypoint { get; init; }
    public ImmutableArray<string>? Cmd { get; init; }

    /// <summary>Environment variables in the order first set; setting one again replaces its value in place.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Env { get; init; } = [];
    public string? WorkingDir { get; init; }
    public string? User { get; init; }

    /// <summary>Ports as "8080/tcp".</summary>
    public ImmutableSortedSet<string> ExposedPorts { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    public string Os { get; init; } = "linux";
}
