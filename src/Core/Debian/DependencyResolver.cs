namespace TinyImage.Core.Debian;

/// <summary>
/// Chooses the packages a set of requested names needs: the names themselves and, transitively, their Pre-Depends
/// and Depends (and Recommends when asked), as apt would install them into an empty system, but with no essential
/// package added implicitly (a scratch image wants only what is named and needed) and no maintainer script.
/// </summary>
/// <remarks>
/// A relation group is left alone when a package already chosen satisfies one of its alternatives; otherwise its
/// first alternative that some package satisfies is taken: the real package of that name at its highest version,
/// else a package that provides the name (versioned provides for versioned relations), preferring higher Priority
/// and then the smaller name. Packages are visited breadth first from the requested names in order, so the same
/// index and request always give the same set. Conflicts and Breaks are not checked (see the report of the issue).
/// </remarks>
internal sealed class DependencyResolver(PackageIndex index, string description)
{
    private readonly Dictionary<string, PackageRecord> _chosen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(PackageRecord Provider, PackageRelation Provided)>> _chosenProvides = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _neededBy = new(StringComparer.Ordinal);

    /// <summary>Resolve returns the chosen packages, sorted by name.</summary>
    /// <param name="names">Requested packages: <c>NAME</c> or <c>NAME=VERSION</c> (a virtual name takes its provider).</param>
    /// <exception cref="TinyImageException">An unknown name, or a relation no package satisfies, with the chain that needs it.</exception>
    public IReadOnlyList<PackageRecord> Resolve(IReadOnlyList<string> names, bool includeRecommends)
    {
        var queue = new Queue<PackageRecord>();
        foreach (var request in names)
        {
            var relation = ParseRequest(request);
            if (IsSatisfied(relation)) continue;
            var package = Best(relation)
                ?? throw new TinyImageException(Missing(relation, $"the requested package '{request}'"));
            Choose(package, $"requested", queue);
        }
        while (queue.Count > 0)
        {
            var package = queue.Dequeue();
            var context = package.ToString();
            Follow(package, RelationParser.Parse(package.PreDepends, index.Architecture, $"{context} Pre-Depends"), required: true, queue);
            Follow(package, RelationParser.Parse(package.Depends, index.Architecture, $"{context} Depends"), required: true, queue);
            if (includeRecommends)
                Follow(package, RelationParser.Parse(package.Recommends, index.Architecture, $"{context} Recommends"), required: false, queue);
        }
        return _chosen.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    private void Follow(PackageRecord package, IReadOnlyList<IReadOnlyList<PackageRelation>> groups, bool required, Queue<PackageRecord> queue)
    {
        foreach (var group in groups)
        {
            if (group.Any(IsSatisfied)) continue;
            PackageRecord? choice = null;
            foreach (var alternative in group)
                if ((choice = Best(alternative)) is not null) break;
            if (choice is null)
            {
                if (!required) continue;
                throw new TinyImageException(Missing(group[0], $"{package} (needed by {Chain(package.Name)}), which depends on '{string.Join(" | ", group)}'"));
            }
            if (_chosen.TryGetValue(choice.Name, out var other))
                throw new TinyImageException(
                    $"{description}: {package} depends on '{string.Join(" | ", group)}', but {other} was already chosen (for {Chain(other.Name)}); request a version that fits both");
            Choose(choice, package.Name, queue);
        }
    }

    private void Choose(PackageRecord package, string neededBy, Queue<PackageRecord> queue)
    {
        _chosen[package.Name] = package;
        _neededBy[package.Name] = neededBy;
        foreach (var group in RelationParser.Parse(package.Provides, index.Architecture, $"{package} Provides"))
            foreach (var provided in group)
            {
                if (!_chosenProvides.TryGetValue(provided.Name, out var list)) _chosenProvides[provided.Name] = list = [];
                list.Add((package, provided));
            }
        queue.Enqueue(package);
    }

    private bool IsSatisfied(PackageRelation relation) =>
        (_chosen.TryGetValue(relation.Name, out var chosen) && Satisfies(chosen, relation)) ||
        (_chosenProvides.TryGetValue(relation.Name, out var providers) && providers.Any(p => ProvidesFor(p.Provided, relation)));

    /// <summary>The best package for one alternative, or null.</summary>
    private PackageRecord? Best(PackageRelation relation)
    {
        PackageRecord? best = null;
        foreach (var candidate in index.Get(relation.Name))
            if (Satisfies(candidate, relation) && (best is null || candidate.Version > best.Version)) best = candidate;
        if (best is not null) return best;
        foreach (var (provider, provided) in index.Providers(relation.Name))
        {
            if (!ProvidesFor(provided, relation)) continue;
            if (best is null || Preferred(provider, best)) best = provider;
        }
        return best;
    }

    private static bool Preferred(PackageRecord candidate, PackageRecord best)
    {
        var rank = PriorityRank(candidate.Priority).CompareTo(PriorityRank(best.Priority));
        if (rank != 0) return rank < 0;
        var name = string.CompareOrdinal(candidate.Name, best.Name);
        return name != 0 ? name < 0 : candidate.Version > best.Version;
    }

    private static int PriorityRank(string? priority) => priority switch
    {
        "required" => 0,
        "important" => 1,
        "standard" => 2,
        "optional" => 3,
        "extra" => 4,
        _ => 5,
    };

    /// <summary>dpkg's rules for a real package: name, architecture qualifier, version.</summary>
    private bool Satisfies(PackageRecord candidate, PackageRelation relation) =>
        candidate.Name == relation.Name && ArchitectureFits(candidate, relation.ArchitectureQualifier) && relation.Accepts(candidate.Version);

    private bool ArchitectureFits(PackageRecord candidate, string? qualifier) => qualifier switch
    {
        null => true,
        "any" => candidate.MultiArch == "allowed",
        "native" => true,
        _ => qualifier == index.Architecture,
    };

    /// <summary>An unversioned relation is met by any provider; a versioned one only by a provide with '=' and a fitting version.</summary>
    private static bool ProvidesFor(PackageRelation provided, PackageRelation relation) =>
        relation.Operator == RelationOperator.Any ||
        (provided.Operator == RelationOperator.Equal && relation.Accepts(provided.Version));

    private string Missing(PackageRelation relation, string what)
    {
        var present = index.Get(relation.Name);
        var found = present.Count > 0 ? $" (it has {string.Join(", ", present.Select(p => p.ToString()))})"
            : index.Providers(relation.Name).Count > 0 ? $" (only versionless providers: {string.Join(", ", index.Providers(relation.Name).Take(5).Select(p => p.Provider.Name))})"
            : "";
        return $"{description}: no package satisfies '{relation}' for {what}{found}; check the name, the suite and the components";
    }

    /// <summary>The chain of packages that needed <paramref name="name"/>, back to the request.</summary>
    private string Chain(string name)
    {
        var chain = new List<string>();
        for (var current = name; _neededBy.TryGetValue(current, out var parent) && parent != "requested" && chain.Count < 20; current = parent)
            chain.Add(parent);
        return chain.Count == 0 ? "the request" : string.Join(" <- ", chain) + " <- the request";
    }

    private static PackageRelation ParseRequest(string request)
    {
        var equals = request.IndexOf('=');
        var name = equals >= 0 ? request[..equals] : request;
        if (name.Length == 0 || name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789+-.") >= 0)
            throw new TinyImageException($"'{request}' is not a package name (lowercase letters, digits, '+', '-', '.'; optionally '=VERSION')");
        if (equals < 0) return new PackageRelation(name, null, RelationOperator.Any, default);
        return DebianVersion.TryParse(request[(equals + 1)..], out var version)
            ? new PackageRelation(name, null, RelationOperator.Equal, version)
            : throw new TinyImageException($"'{request}': '{request[(equals + 1)..]}' is not a Debian version");
    }
}
