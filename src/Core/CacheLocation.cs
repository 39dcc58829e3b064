namespace TinyImage.Core;

/// <summary>Where TinyImage keeps its caches (compiled recipes, compressed layers).</summary>
public static class CacheLocation
{
    /// <summary><c>$TINYRUN_CACHE</c>, else <c>$XDG_CACHE_HOME/tinyrun</c>, else <c>~/.cache/tinyrun</c>, as a full path.</summary>
    public static string Root() => Path.GetFullPath(
        Environment.GetEnvironmentVariable("TINYRUN_CACHE") is { Length: > 0 } explicitRoot ? explicitRoot
        : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "tinyrun")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "tinyrun"));
}
