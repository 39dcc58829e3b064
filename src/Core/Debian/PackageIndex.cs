namespace TinyImage.Core.Debian;

/// <summary>
/// The binary packages of one architecture (and <c>all</c>) from one or more Packages indexes, by name, with the
/// virtual packages each one provides.
/// </summary>
public sealed class PackageIndex
{
    private readonly Dictionary<string, List<PackageRecord>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(PackageRecord Provider, PackageRelation Provided)>> _providers = new(StringComparer.Ordinal);

    internal PackageIndex(string architecture)
    {
        Architecture = architecture;
    }

    /// <summary>Architecture is the native architecture of the index (packages of <c>all</c> are in it too).</summary>
    public string Architecture { get; }

    /// <summary>Count is the number of package stanzas kept.</summary>
    public int Count { get; private set; }

    /// <summary>Names are the package names, unordered.</summary>
    public IEnumerable<string> Names => _byName.Keys;

    /// <summary>Get returns the packages named <paramref name="name"/> (one per version), or none.</summary>
    public IReadOnlyList<PackageRecord> Get(string name) =>
        _byName.TryGetValue(name, out var list) ? list : [];

    /// <summary>Providers returns the packages whose Provides names <paramref name="name"/>, with the relation as provided.</summary>
    public IReadOnlyList<(PackageRecord Provider, PackageRelation Provided)> Providers(string name) =>
        _providers.TryGetValue(name, out var list) ? list : [];

    /// <summary>Read adds the stanzas of a Packages index to a new index of <paramref name="architecture"/>.</summary>
    /// <param name="sourceName">Names the index in errors.</param>
    /// <exception cref="TinyImageException">A malformed stanza, with its line.</exception>
    public static PackageIndex Read(Stream packages, string sourceName, string architecture)
    {
        var index = new PackageIndex(architecture);
        index.Add(packages, sourceName);
        return index;
    }

    /// <summary>Add reads another Packages index (another component) into this one.</summary>
    internal void Add(Stream packages, string sourceName) =>
        ControlFileReader.Read(packages, sourceName, new PackageIndexReader(this, sourceName));

    /// <summary>AddAll adds the packages of another index of the same architecture (another component).</summary>
    internal void AddAll(PackageIndex other)
    {
        foreach (var (name, records) in other._byName)
        {
            if (!_byName.TryGetValue(name, out var list)) _byName[name] = list = new List<PackageRecord>(records.Count);
            list.AddRange(records);
        }
        foreach (var (name, providers) in other._providers)
        {
            if (!_providers.TryGetValue(name, out var list)) _providers[name] = list = [];
            list.AddRange(providers);
        }
        Count += other.Count;
    }

    internal void Add(PackageRecord record)
    {
        if (!_byName.TryGetValue(record.Name, out var list)) _byName[record.Name] = list = new List<PackageRecord>(1);
        list.Add(record);
        Count++;
        if (record.Provides is null) return;
        foreach (var group in RelationParser.Parse(record.Provides, Architecture, $"{record} Provides"))
            foreach (var provided in group)
            {
                if (!_providers.TryGetValue(provided.Name, out var providers)) _providers[provided.Name] = providers = [];
                providers.Add((record, provided));
            }
    }
}
