namespace TinyImage.Core.FileSystem;

/// <summary>
/// The one symlink walker: resolves an absolute path component by component as the kernel's path lookup does, for a
/// host root (<see cref="HostFiles"/>) as for an image being built (<see cref="FileTree"/>, the layer plan). A link's
/// target replaces the components read so far (absolute: from "/") and is walked before the rest; ".." applies to the
/// symlink-free path resolved so far ("link/../x" is the target's parent's x) and never climbs above "/".
/// </summary>
public static class SymlinkWalk
{
    /// <summary>Linux's limit on symlinks followed in one lookup (MAXSYMLINKS).</summary>
    public const int MaxHops = 40;

    /// <summary>What one path is, as far as the walk needs to know.</summary>
    public readonly record struct Node(bool Exists, bool IsDirectory, string? LinkTarget)
    {
        public static readonly Node Missing = new(false, false, null);

        /// <summary>A path that is there (or whose existence does not matter to the walk) and is no link to follow.</summary>
        public static readonly Node Present = new(true, true, null);

        public static Node Link(string target) => new(true, false, target);
    }

    /// <summary>How a walk ended.</summary>
    public enum Outcome
    {
        Resolved,

        /// <summary>A component does not exist, or one before the last is not a directory.</summary>
        Missing,

        /// <summary>More than <see cref="MaxHops"/> links: a loop.</summary>
        TooManyLinks,
    }

    /// <summary>Walks <paramref name="path"/> from "/".</summary>
    /// <param name="lookup">Tells what a path is; <c>isLast</c> is true for the last component (a lookup may choose not to follow a final link).</param>
    /// <param name="links">If given, receives each symlink followed (its path and target), in order.</param>
    /// <param name="leftByDotDot">If given, receives each directory that a ".." steps out of.</param>
    public static (Outcome Outcome, string Path) Walk(string path, Func<string, bool, Node> lookup,
        List<(string Path, string Target)>? links = null, List<string>? leftByDotDot = null)
    {
        var hops = 0;
        var resolved = "/";
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        while (pending.First is { } first)
        {
            var name = first.Value;
            pending.RemoveFirst();
            if (name == ".") continue;
            if (name == "..")
            {
                if (resolved != "/") leftByDotDot?.Add(resolved);
                resolved = ImagePath.Parent(resolved) ?? "/";
                continue;
            }
            var candidate = ImagePath.Combine(resolved, name);
            var node = lookup(candidate, pending.Count == 0);
            if (node.LinkTarget is { } target)
            {
                if (++hops > MaxHops) return (Outcome.TooManyLinks, candidate);
                links?.Add((candidate, target));
                if (target.StartsWith('/')) resolved = "/";
                var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (var i = parts.Length - 1; i >= 0; i--) pending.AddFirst(parts[i]);
                continue;
            }
            if (!node.Exists || (pending.Count > 0 && !node.IsDirectory)) return (Outcome.Missing, candidate);
            resolved = candidate;
        }
        return (Outcome.Resolved, resolved);
    }
}
