namespace TinyImage.Core.Debian;

/// <summary>
/// One alternative of a package relation field: <c>name[:arch] [(op version)]</c>, e.g. <c>libc6 (&gt;= 2.34)</c>
/// or <c>python3:any</c>. A field such as Depends is a list of groups, each satisfied by any one of its alternatives.
/// </summary>
/// <param name="Name">The package (or virtual package) name.</param>
/// <param name="ArchitectureQualifier">What follows ':' (<c>any</c>, <c>native</c> or an architecture), or null.</param>
/// <param name="Operator">The version operator; <see cref="RelationOperator.Any"/> when there is no constraint.</param>
/// <param name="Version">The version of the constraint; default when <paramref name="Operator"/> is Any.</param>
public sealed record PackageRelation(string Name, string? ArchitectureQualifier, RelationOperator Operator, DebianVersion Version)
{
    /// <summary>Accepts is true when <paramref name="candidate"/> meets the version constraint.</summary>
    public bool Accepts(DebianVersion candidate) => Operator switch
    {
        RelationOperator.Any => true,
        RelationOperator.Earlier => candidate < Version,
        RelationOperator.EarlierOrEqual => candidate <= Version,
        RelationOperator.Equal => candidate == Version,
        RelationOperator.LaterOrEqual => candidate >= Version,
        RelationOperator.Later => candidate > Version,
        _ => false,
    };

    /// <summary>ToString writes the relation as a control file does: <c>name:arch (op version)</c>.</summary>
    public override string ToString()
    {
        var name = ArchitectureQualifier is null ? Name : Name + ":" + ArchitectureQualifier;
        return Operator switch
        {
            RelationOperator.Any => name,
            RelationOperator.Earlier => $"{name} (<< {Version})",
            RelationOperator.EarlierOrEqual => $"{name} (<= {Version})",
            RelationOperator.Equal => $"{name} (= {Version})",
            RelationOperator.LaterOrEqual => $"{name} (>= {Version})",
            _ => $"{name} (>> {Version})",
        };
    }
}
