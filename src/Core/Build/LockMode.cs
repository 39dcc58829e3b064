namespace TinyImage.Core.Build;

/// <summary>How a build treats the recipe's lock file (NAME.tiny.lock) for roots made of Debian packages.</summary>
public enum LockMode
{
    /// <summary>Use what the lock pins; a package set it lacks is resolved and added to it (a build's default).</summary>
    Update,

    /// <summary>Use what the lock pins, and fail when it lacks a package set or would change (<c>--locked</c>, for CI).</summary>
    Locked,

    /// <summary>Use exactly what the lock pins and never resolve or write: fail when it lacks a set (<c>tinyrun verify</c>).</summary>
    Pinned,

    /// <summary>Resolve every package set again and rewrite the lock (<c>tinyrun lock</c>).</summary>
    Refresh,
}
