namespace TinyImage.Core.Needs;

/// <summary>Which runtime needs an image leaves unmet: each need once (by kind and detail), the first file showing it named, programs first.</summary>
public static class RuntimeNeeds
{
    /// <summary>The needs of <paramref name="needs"/> that <paramref name="image"/> does not provide, each once.</summary>
    public static IReadOnlyList<RuntimeNeed> Unmet(ImageView image, IEnumerable<RuntimeNeed> needs) =>
        [.. Distinct(needs).Where(n => !RuntimeNeedTable.Rule(n.Kind).IsMet(image, n.Detail))];

    /// <summary>Each need once, by kind and detail: the first file that shows it.</summary>
    public static IReadOnlyList<RuntimeNeed> Distinct(IEnumerable<RuntimeNeed> needs)
    {
        // Keyed by a string, not a tuple: a set of strings needs no generic code compiled at run time (issue 10).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<RuntimeNeed>();
        foreach (var need in needs)
            if (seen.Add($"{(int)need.Kind}\n{need.Detail is null}\n{need.Detail}")) result.Add(need);
        return result;
    }
}
