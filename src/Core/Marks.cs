namespace TinyImage.Core;

/// <summary>
/// Where a build's time goes, for performance work: with <c>TINYRUN_MARKS=1</c> each phase prints one line on stderr,
/// <c>mark MS PHASE</c>, the milliseconds since the process started (bench/README.md, "An unchanged rebuild that reads
/// less"). The variable is read once, by the process that builds: a build server prints marks when it was started with
/// it, counted from its own start. Off, a mark costs one test of a static field.
/// </summary>
public static class Marks
{
    private static readonly bool On = Environment.GetEnvironmentVariable("TINYRUN_MARKS") == "1";
    private static readonly DateTime Start = On ? System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime() : default;

    /// <summary>Prints that the phase <paramref name="phase"/> ended now, when marks are on.</summary>
    public static void At(string phase)
    {
        if (On) Console.Error.WriteLine($"mark {(DateTime.UtcNow - Start).TotalMilliseconds,7:F1} {phase}");
    }
}
