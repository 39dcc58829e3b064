namespace TinyImage.Core.Needs;

/// <summary>Which runtime needs an image leaves unmet: each need once (by kind and detail), the first file showing it named, programs first.</summary>
public static class RuntimeNeeds
{
    /// <summary>The needs of <paramref name="needs"/> that <paramref name="image"/> does not provide, each once.</summary>
    public static IReadOnlyList<RuntimeNeed> Unmet(ImageView image, IEnumerable<RuntimeNeed> needs) =>
        [.. Distinct(needs).Where(n => !RuntimeNeedTable.Rules[n.Kind].IsMet(image, n.Detail))];

    /// <summary>Each need once, by kind and detail: the first file that shows it.</summary>
    public static IReadOnlyList<RuntimeNeed> Distinct(IEnumerable<RuntimeNeed> needs) =>
        [.. needs.GroupBy(n => (n.Kind, n.Detail)).Select(g => g.First())];
}
