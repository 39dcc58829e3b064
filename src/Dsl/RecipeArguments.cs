using TinyImage.Core;

namespace TinyImage.Dsl;

/// <summary>
/// The parameters given on the command line with <c>--arg name=value</c>, read in a recipe as
/// <c>Args["version"]</c> (required) or <c>Args.Get("version", "1.0")</c> (with a default).
/// </summary>
public sealed class RecipeArguments
{
    private readonly IReadOnlyDictionary<string, string> _values;
    private readonly string _recipe;

    internal RecipeArguments(IReadOnlyDictionary<string, string> values, string recipe)
    {
        _values = values;
        _recipe = recipe;
    }

    /// <summary>The value of a required argument; a clear error when it was not given.</summary>
    public string this[string name] => _values.TryGetValue(name, out var value) ? value
        : throw new TinyImageException($"{System.IO.Path.GetFileName(_recipe)}: the recipe needs the argument '{name}'; pass --arg {name}=VALUE");

    /// <summary>The value of an argument, or <paramref name="fallback"/> when it was not given.</summary>
    public string Get(string name, string fallback) => _values.TryGetValue(name, out var value) ? value : fallback;

    public bool Contains(string name) => _values.ContainsKey(name);

    public IEnumerable<string> Names => _values.Keys;
}
