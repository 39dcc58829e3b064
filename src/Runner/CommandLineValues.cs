using System.CommandLine;
using System.CommandLine.Parsing;
using TinyImage.Core;
using TinyImage.Core.Registry;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary>
/// Options whose values are parsed as the command line is: a malformed value (<c>--arg noequals</c>,
/// <c>--platform banana</c>, <c>-t 'Bad Tag'</c>) is a usage error, printed as <c>tinyrun: ...</c> with exit code 2
/// before the command runs, as an unknown option is. What only the recipe can tell (--tag on a recipe of two images,
/// a platform the recipe does not build for) is found by the build, and exits 1.
/// </summary>
internal static class CommandLineValues
{
    /// <summary><c>--arg NAME=VALUE</c>, repeatable: the recipe's parameters (none when not given).</summary>
    public static Option<IReadOnlyDictionary<string, string>> Arguments(string description) => new("--arg", "-a")
    {
        Description = description,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = result => Parsed(result, ParseArguments),
        DefaultValueFactory = _ => new Dictionary<string, string>(),
    };

    /// <summary><c>--platform OS/ARCH[/VARIANT]</c>: one platform, or null when not given.</summary>
    public static Option<Platform?> Platform(string description) => new("--platform")
    {
        Description = description,
        CustomParser = result => Parsed(result, values => Core.Spec.Platform.Parse(values[0])),
    };

    /// <summary><c>--platform P1,P2</c>: the platforms, comma-separated (empty when not given).</summary>
    public static Option<IReadOnlyList<Platform>> Platforms(string description) => new("--platform")
    {
        Description = description,
        CustomParser = result => Parsed(result, values =>
            (IReadOnlyList<Platform>)[.. values[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Core.Spec.Platform.Parse).Distinct()]),
        DefaultValueFactory = _ => [],
    };

    /// <summary><c>--tag NAME:TAG</c>: an image name, or null when not given.</summary>
    public static Option<ImageReference?> Tag(string description) => new("--tag", "-t")
    {
        Description = description,
        CustomParser = result => Parsed(result, values => ImageReference.Parse(values[0])),
    };

    /// <summary><c>--cache-repo REGISTRY/REPO</c>: a registry repository (without tag or digest), or null when not given.</summary>
    public static Option<string?> CacheRepository(string description) => new("--cache-repo")
    {
        Description = description,
        CustomParser = result => Parsed(result, values => { _ = CacheRepositoryOf(values[0]); return values[0]; }),
    };

    /// <summary><c>--insecure-registry HOST[:PORT]</c>, repeatable (none when not given).</summary>
    public static Option<IReadOnlyList<string>> RegistryHosts(string description) => new("--insecure-registry")
    {
        Description = description,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = result => Parsed(result, values => (IReadOnlyList<string>)[.. values.Select(RegistryHost)]),
        DefaultValueFactory = _ => [],
    };

    /// <summary>The recipe parameters of <c>--arg NAME=VALUE</c> values (a later NAME replaces an earlier one).</summary>
    /// <exception cref="TinyImageException">A value without NAME=.</exception>
    internal static IReadOnlyDictionary<string, string> ParseArguments(IEnumerable<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=');
            if (equals <= 0)
                throw new TinyImageException($"--arg '{value}': write NAME=VALUE, e.g. --arg version=1.2");
            result[value[..equals]] = value[(equals + 1)..];
        }
        return result;
    }

    /// <summary>The repository <c>--cache-repo</c> (or TINYRUN_CACHE_REPO) names.</summary>
    /// <exception cref="TinyImageException">Not REGISTRY/REPO.</exception>
    internal static RegistryReference CacheRepositoryOf(string repository) =>
        RegistryReference.TryParse(repository, out var parsed) && parsed.Digest is null
            ? parsed
            : throw new TinyImageException($"--cache-repo '{repository}': not a registry repository; write REGISTRY/REPO, e.g. 127.0.0.1:5000/tinyrun-cache");

    /// <summary><paramref name="value"/> when it is <c>HOST[:PORT]</c> (a name or an address, <c>[v6]</c> bracketed): no scheme, no path.</summary>
    private static string RegistryHost(string value)
    {
        var colon = value.StartsWith('[') ? value.IndexOf("]:", StringComparison.Ordinal) + 1 : value.LastIndexOf(':');
        var host = colon > 0 ? value[..colon] : value;
        var port = colon > 0 ? value[(colon + 1)..] : null;
        var isHost = Uri.CheckHostName(host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host) != UriHostNameType.Unknown;
        return isHost && (port is null || (ushort.TryParse(port, out var number) && number > 0))
            ? value
            : throw new TinyImageException($"--insecure-registry '{value}': not HOST[:PORT]; write e.g. --insecure-registry registry.lan:5000 (no http://, no path)");
    }

    /// <summary>The value <paramref name="parse"/> makes of the option's tokens; its error is the option's usage error.</summary>
    private static T? Parsed<T>(ArgumentResult result, Func<IReadOnlyList<string>, T> parse)
    {
        try
        {
            return parse([.. result.Tokens.Select(t => t.Value)]);
        }
        catch (TinyImageException e)
        {
            result.AddError(e.Message);
            return default;
        }
    }
}
