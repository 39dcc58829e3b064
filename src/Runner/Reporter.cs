namespace TinyImage.Runner;

/// <summary>
/// Where tinyrun's messages go: results to stdout, progress and details to stderr. <c>--quiet</c>
/// keeps only results and errors; <c>--verbose</c> adds details. Colour only on a terminal and
/// never with NO_COLOR set.
/// </summary>
internal sealed class Reporter(bool quiet, bool verbose)
{
    private readonly bool _color = Invocation.StderrIsTerminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    public bool Verbose { get; } = verbose && !quiet;

    /// <summary>A result line (stdout), always printed.</summary>
    public static void Result(string line) => Console.Out.WriteLine(line);

    /// <summary>A hint about the image (a runtime need it leaves unmet), as it is; not with --quiet.</summary>
    public void Hint(string message)
    {
        if (!quiet) Console.Error.WriteLine(message);
    }

    /// <summary>A progress step, e.g. "writing hello:latest".</summary>
    public void Step(string message)
    {
        if (!quiet) Console.Error.WriteLine(_color ? $"\u001b[2m{message}\u001b[0m" : message);
    }

    /// <summary>A detail shown with --verbose.</summary>
    public void Detail(string message)
    {
        if (!Verbose) return;
        // Time since the command started (the process's start-up included), to show where a build spends it.
        var elapsed = (DateTime.UtcNow - Invocation.Started).TotalSeconds;
        var line = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  [{elapsed,6:0.000}s] {message}");
        Console.Error.WriteLine(_color ? $"\u001b[2m{line}\u001b[0m" : line);
    }
}
