namespace TinyImage.Core.Debian;

/// <summary>The version operator of a package relation, as in <c>Depends: libc6 (&gt;= 2.34)</c>.</summary>
public enum RelationOperator
{
    /// <summary>No version constraint.</summary>
    Any,
    /// <summary><c>&lt;&lt;</c>: strictly earlier.</summary>
    Earlier,
    /// <summary><c>&lt;=</c> (and the obsolete <c>&lt;</c>): earlier or equal.</summary>
    EarlierOrEqual,
    /// <summary><c>=</c>: exactly equal.</summary>
    Equal,
    /// <summary><c>&gt;=</c> (and the obsolete <c>&gt;</c>): later or equal.</summary>
    LaterOrEqual,
    /// <summary><c>&gt;&gt;</c>: strictly later.</summary>
    Later,
}
