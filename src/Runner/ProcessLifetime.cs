using System.Runtime.InteropServices;

namespace TinyImage.Runner;

/// <summary>
/// How a tinyrun process ends. The first SIGINT (Ctrl-C) or SIGTERM cancels <see cref="Token"/>: the command stops
/// at its next check (recipe code, which never checks, is abandoned) and tinyrun exits 128 + the signal's number
/// (130, 143). A second signal exits at once. An exit nobody in tinyrun asked for (a recipe calling
/// <c>Environment.Exit(0)</c>) is turned into a failure, exit 1 with one line saying so: build, test and verify must
/// never report success having done nothing.
/// </summary>
internal sealed class ProcessLifetime : ICommandLifetime, IDisposable
{
    private const int SignalInterrupt = 2, SignalTerminate = 15;

    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signal; // the number of the first signal received; 0 before
    private int _finished; // 1 once tinyrun itself decided how to exit

    public ProcessLifetime()
    {
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The signal that cancelled the run, e.g. "SIGINT"; null when none did.</summary>
    public string? Signal => Volatile.Read(ref _signal) switch { 0 => null, SignalInterrupt => "SIGINT", _ => "SIGTERM" };

    /// <summary>The exit code of a run a signal cancelled: 128 + its number (130 for SIGINT, 143 for SIGTERM).</summary>
    public int InterruptedExitCode => 128 + Volatile.Read(ref _signal);

    /// <summary>Marks the coming exit as tinyrun's own; call once the exit code is known.</summary>
    public void Finish() => Volatile.Write(ref _finished, 1);

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // no default handling: we decide how to stop
        var number = context.Signal == PosixSignal.SIGINT ? SignalInterrupt : SignalTerminate;
        if (Interlocked.CompareExchange(ref _signal, number, 0) == 0)
        {
            _cancel.Cancel(); // also kills running Sh commands (their registrations run here)
            return;
        }
        Finish();
        Console.Error.WriteLine($"tinyrun: {context.Signal} again: stopped at once; temporary files may be left behind");
        Environment.Exit(128 + number);
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Volatile.Read(ref _finished) == 1) return;
        // Only code tinyrun runs but does not own, a recipe, exits the process without Finish().
        Console.Error.WriteLine(RecipeExitMessage(Environment.ExitCode));
        Environment.ExitCode = Program.ExitFailure;
    }

    /// <summary>What tinyrun says when a recipe ended the process with <c>Environment.Exit(<paramref name="code"/>)</c>.</summary>
    public static string RecipeExitMessage(int code) =>
        $"tinyrun: the recipe called Environment.Exit({code}) before tinyrun finished; that is a failure (exit 1): a recipe must not exit; throw an exception to fail a build";

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _cancel.Dispose();
    }
}

/// <summary>How one run of a tinyrun command ends: in its own process (<see cref="ProcessLifetime"/>) or in the build server.</summary>
internal interface ICommandLifetime
{
    /// <summary>Cancelled by the first SIGINT or SIGTERM (the client's, in the build server).</summary>
    CancellationToken Token { get; }

    /// <summary>The signal that cancelled the run, e.g. "SIGINT"; null when none did.</summary>
    string? Signal { get; }

    /// <summary>The exit code of a run a signal cancelled: 128 + its number (130 for SIGINT, 143 for SIGTERM).</summary>
    int InterruptedExitCode { get; }

    /// <summary>Marks the coming exit as tinyrun's own; call once the exit code is known.</summary>
    void Finish();
}
