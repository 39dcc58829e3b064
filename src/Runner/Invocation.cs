using Microsoft.Win32.SafeHandles;

namespace TinyImage.Runner;

/// <summary>
/// What one run of a tinyrun command knows about how it was started, which the build server sets for each build it
/// runs: when it started, whether its stderr is a terminal (colour), and its standard streams.
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

    /// <summary>The command's stdout beyond Console: this process's, or the one its client handed the build server.</summary>
    public static CommandOutput Output { get; private set; } = CommandOutput.OfThisProcess;

    /// <summary>
    /// Starts a command in its own process, or in the build server for a client whose stdout is
    /// <paramref name="clientOutput"/> (<paramref name="started"/>: when the client asked).
    /// </summary>
    public static void Start(bool stderrIsTerminal, DateTime? started = null, CommandOutput? clientOutput = null)
    {
        _started = started;
        StderrIsTerminal = stderrIsTerminal;
        InServer = clientOutput is not null;
        Output = clientOutput ?? CommandOutput.OfThisProcess;
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

/// <summary>A command's stdout, for what goes there beside Console's text: an archive (<c>-o -</c>).</summary>
internal abstract class CommandOutput
{
    /// <summary>This process's stdout (fd 1).</summary>
    public static readonly CommandOutput OfThisProcess = new Own();

    /// <summary>Whether stdout is a terminal.</summary>
    public abstract bool IsTerminal { get; }

    /// <summary>
    /// A stream on the stdout file itself, not through Console: a Console stream holds Console's lock while a write
    /// blocks (a reader that stalls), and every Console write, a signal handler's message included, would wait for it.
    /// </summary>
    public abstract Stream Open();

    /// <summary>From now on, what the command prints with Console.Out goes to its stderr: stdout carries data.</summary>
    public abstract void KeepForData();

    private sealed class Own : CommandOutput
    {
        public override bool IsTerminal => !Console.IsOutputRedirected;

        public override Stream Open() => new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

        public override void KeepForData() => Console.SetOut(Console.Error);
    }
}
