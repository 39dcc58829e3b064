using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Registry;

/// <summary>
/// A name in a registry: <c>REGISTRY/REPOSITORY[:TAG][@sha256:…]</c>, normalized as Docker does
/// (<c>ubuntu</c> is <c>docker.io/library/ubuntu:latest</c>).
/// </summary>
/// <remarks>
/// The grammar is distribution/reference's: the first path component is a registry when it holds a <c>.</c> or a
/// <c>:</c> or is <c>localhost</c>; repository components are lowercase; a tag is at most 128 word characters, dots
/// and dashes. A name with neither tag nor digest gets the tag <c>latest</c>.
/// </remarks>
public sealed partial record RegistryReference
{
    /// <summary>The registry of names without one.</summary>
    public const string DockerHub = "docker.io";

    private const int MaxNameLength = 255;

    public RegistryReference(string registry, string repository, string? tag, Digest? digest)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        if (!IsRegistry(registry)) throw new ArgumentException($"'{registry}' is not a registry host[:port]", nameof(registry));
        if (!RepositoryPattern().IsMatch(repository)) throw new ArgumentException($"'{repository}' is not a repository name", nameof(repository));
        if (tag is not null && !TagPattern().IsMatch(tag)) throw new ArgumentException($"'{tag}' is not a tag", nameof(tag));
        if (digest is { } d && d == default) throw new ArgumentException("the digest is the default value", nameof(digest));
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry as written in names: <c>host[:port]</c> (<c>docker.io</c> for Docker Hub).</summary>
    public string Registry { get; }

    /// <summary>The repository within the registry, e.g. <c>team/app</c> or <c>library/ubuntu</c>.</summary>
    public string Repository { get; }

    /// <summary>The tag, or null when the name has only a digest.</summary>
    public string? Tag { get; }

    /// <summary>The manifest digest, when the name pins one.</summary>
    public Digest? Digest { get; }

    /// <summary>The host[:port] requests go to: Docker Hub's is <c>registry-1.docker.io</c>.</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>The tag or digest of a manifest request: the digest when there is one, else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? "latest";

    /// <summary>This name with <paramref name="digest"/> (and its tag kept).</summary>
    public RegistryReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    /// <summary>This name with <paramref name="tag"/> and no digest.</summary>
    public RegistryReference WithTag(string tag) => new(Registry, Repository, tag, null);

    /// <summary>Another repository of the same registry (for a cross-repository mount).</summary>
    public RegistryReference WithRepository(string repository) => new(Registry, repository, Tag, Digest);

    /// <summary><c>registry/repository</c>, without tag or digest.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary><c>registry/repository[:tag][@digest]</c>.</summary>
    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is { } digest ? "@" + digest : "");

    /// <summary>Parses a name; <paramref name="value"/> without a registry is on Docker Hub.</summary>
    /// <exception cref="TinyImageException"><paramref name="value"/> is not an image name.</exception>
    public static RegistryReference Parse(string value) =>
        TryParse(value, out var reference, out var problem)
            ? reference
            : throw new TinyImageException($"'{Sources.ArchiveText.Printable(value)}' is not an image name: {Sources.ArchiveText.Printable(problem)}; write REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/team/app:1.2");

    /// <summary>Parses a name, returning false for anything that is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out RegistryReference? reference) =>
        TryParse(value, out reference, out _);

    private static bool TryParse(string? value, [NotNullWhen(true)] out RegistryReference? reference, out string problem)
    {
        reference = null;
        problem = "it is empty";
        if (string.IsNullOrEmpty(value)) return false;
        problem = $"it is longer than {MaxNameLength} characters";
        if (value.Length > MaxNameLength + 72 + 129) return false;

        var rest = value;
        Digest? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            problem = "the part after '@' is not sha256: and 64 lowercase hex digits";
            if (!Oci.Digest.TryParse(rest[(at + 1)..], out var parsed)) return false;
            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            problem = $"'{tag}' is not a tag (at most 128 letters, digits, '_', '.', '-', not starting with '.' or '-')";
            if (!TagPattern().IsMatch(tag)) return false;
        }

        var registry = DockerHub;
        var slash = rest.IndexOf('/');
        if (slash > 0 && LooksLikeRegistry(rest[..slash]))
        {
            registry = rest[..slash];
            rest = rest[(slash + 1)..];
            problem = $"'{registry}' is not a registry host[:port]";
            if (!IsRegistry(registry)) return false;
            if (registry == "index.docker.io") registry = DockerHub;
        }
        if (registry == DockerHub && !rest.Contains('/')) rest = "library/" + rest;

        problem = $"'{rest}' is not a repository (lowercase letters and digits, separated by '/', '.', '_', '__' or '-')";
        if (!RepositoryPattern().IsMatch(rest)) return false;
        problem = $"it is longer than {MaxNameLength} characters";
        if (registry.Length + 1 + rest.Length > MaxNameLength) return false;
        if (tag is null && digest is null) tag = "latest";
        reference = new RegistryReference(registry, rest, tag, digest);
        return true;
    }

    private static bool LooksLikeRegistry(string component) =>
        component.Contains('.') || component.Contains(':') || component == "localhost" || component.Any(char.IsUpper);

    private static bool IsRegistry(string registry) => RegistryPattern().IsMatch(registry);

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?\z")]
    private static partial Regex RegistryPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\z")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex TagPattern();
}
