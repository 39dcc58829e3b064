using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TinyImage.Tests.Integration;

/// <summary>
/// A tinyrun process started in the background, to be sent real signals. It starts through
/// <c>env --default-signal</c>, so SIGINT and SIGTERM reach it even when the test runner ignores them (a background
/// job's SIGINT is ignored, and an ignored signal stays ignored across exec). Its stdout is a pipe nobody reads: a
/// process writing much to it blocks. Killed, with its children, when disposed.
/// </summary>
public sealed class RunningTinyrun : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public RunningTinyrun(string workingDirectory, IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in (string[])["--default-signal=INT,TERM", "dotnet", Path.Combine(AppContext.BaseDirectory, "tinyrun.dll"), .. args])
            start.ArgumentList.Add(arg);
        start.Environment["TINYRUN_SERVER"] = Run.ThroughServer ? "1" : "0";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        _process = Process.Start(start) ?? throw new InvalidOperationException("cannot start tinyrun");
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Append(e.Data).Append('\n'); };
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Waits (polling) until <paramref name="condition"/> holds; fails the test, saying what was awaited, after <paramref name="timeout"/>.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited) Assert.Fail($"tinyrun exited ({_process.ExitCode}) before {what}; stderr:\n{Stderr}");
            Assert.True(deadline.Elapsed < timeout, $"tinyrun did not reach '{what}' in {timeout}; stderr:\n{Stderr}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (INT, TERM, KILL) and waits until the kernel has delivered it.</summary>
    public void Signal(string signal)
    {
        var number = signal switch { "INT" => 2, "TERM" => 15, "KILL" => 9, _ => throw new ArgumentOutOfRangeException(nameof(signal)) };
        var sent = Run.Process("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var deadline = Stopwatch.StartNew();
        while (number != 9 && IsPending(number) && !_process.HasExited)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"SIG{signal} was not delivered to tinyrun in 30 s");
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits for the exit and returns the exit code (128 + the signal when a signal killed it).</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"tinyrun did not exit within {timeout}; stderr:\n{Stderr}");
        _process.WaitForExit(); // and its stderr is read to the end
        return _process.ExitCode;
    }

    /// <summary>Whether a thread of tinyrun is blocked writing to a pipe (its stdout, which nobody reads).</summary>
    public bool IsBlockedWritingAPipe() =>
        Directory.EnumerateDirectories($"/proc/{Id}/task").Any(task =>
        {
            try
            {
                var channel = File.ReadAllText(Path.Combine(task, "wchan"));
                return channel.Contains("pipe_write", StringComparison.Ordinal) || channel == "pipe_wait";
            }
            catch (IOException) { return false; }
        });

    /// <summary>The live (not zombie) processes whose command line is exactly <paramref name="argv"/>.</summary>
    public static IReadOnlyList<int> LiveProcesses(params string[] argv)
    {
        var wanted = string.Join('\0', argv) + '\0';
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
                if (state != "Z" && File.ReadAllText(Path.Combine(directory, "cmdline")) == wanted) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private bool IsPending(int signal)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{Id}/status");
            return status.Where(l => l.StartsWith("ShdPnd:", StringComparison.Ordinal) || l.StartsWith("SigPnd:", StringComparison.Ordinal))
                .Any(l => (ulong.Parse(l[7..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (signal - 1))) != 0);
        }
        catch (IOException)
        {
            return false; // it has exited
        }
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
