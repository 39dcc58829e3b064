namespace TinyImage.Runner;

/// <summary>
/// What one run of a tinyrun command knows about how it was started, which the build server sets for each build it
/// runs: when it started, and whether its stderr is a terminal (colour).
/// </summary>
internal static class Invocation
{
    private static DateTime? _started;

    /// <summary>When the command started: the process's start (read when first asked), or the build server's request.</summary>
    public static DateTime Started => _started ??= ProcessStart();

    /// <summary>Whether the command's stderr is a terminal.</summary>
    public static bool StderrIsTerminal { get; private set; }

    /// <summary>Whether the command runs in the build server (<see cref="BuildServer"/>).</summary>
    public static bool InServer { get; private set; }

    /// <summary>Starts a command in its own process (<paramref name="started"/> null) or in the build server.</summary>
    public static void Start(bool stderrIsTerminal, DateTime? started = null, bool inServer = false)
    {
        _started = started;
        StderrIsTerminal = stderrIsTerminal;
        InServer = inServer;
    }

    private static DateTime ProcessStart()
    {
        try
        {
            return System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
        }
        catch (InvalidOperationException)
        {
            return DateTime.UtcNow;
        }
    }
}
