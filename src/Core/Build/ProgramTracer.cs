using System.Collections.Frozen;
using System.Diagnostics;

namespace TinyImage.Core.Build;

/// <summary>
/// Runs a program once on the host under <c>strace -f -e trace=%file,execve</c> (Debian package
/// strace), in an empty temporary directory with stdin from /dev/null, and returns the files it
/// opened and ran, each that does not belong in an image marked with why (see <see cref="WhyLeftOut"/>). This is the only place
/// TinyImage runs a program it puts in an image, and only when a recipe calls <c>Trace</c>.
/// </summary>
public sealed class ProgramTracer
{
    private static readonly string[] Roots = ["/usr/", "/etc/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/", "/opt/"];

    // Host-specific files under those roots, each with why it is not the image's.
    private static readonly FrozenDictionary<string, string> Excluded = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/etc/ld.so.cache"] = "the host's loader cache, which describes the host's libraries (WithLibs finds the image's)",
        ["/etc/ld.so.preload"] = "the host's preload list",
        ["/etc/hosts"] = "Docker mounts it in the container",
        ["/etc/resolv.conf"] = "Docker mounts it in the container",
        ["/etc/hostname"] = "Docker mounts it in the container",
        ["/etc/passwd"] = "the host's accounts, not the image's; add .WithUser(...) or .WithPasswd()",
        ["/etc/group"] = "the host's accounts, not the image's; add .WithUser(...) or .WithPasswd()",
        ["/etc/shadow"] = "the host's passwords",
        ["/etc/gshadow"] = "the host's passwords",
        ["/etc/mtab"] = "the host's mounts",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Where else programs look, with why nothing there goes in an image; any other place is outside the roots kept.
    private static readonly (string Prefix, string Why)[] Elsewhere =
    [
        ("/proc/", "under /proc, made by the kernel in each container"),
        ("/sys/", "under /sys, made by the kernel in each container"),
        ("/dev/", "a device, made by the engine in each container"),
        ("/tmp/", "under /tmp, a temporary file"),
        ("/var/tmp/", "under /var/tmp, a temporary file"),
        ("/run/", "under /run, the host's run-time state"),
    ];

    public ProgramTracer(string strace = "/usr/bin/strace", TimeSpan? timeout = null)
    {
        Strace = strace;
        Timeout = timeout ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>The strace executable.</summary>
    public string Strace { get; }

    /// <summary>How long the traced program may run before it is killed and the trace fails.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> and returns the files it opened and ran, in the order
    /// first opened: those not worth keeping with <see cref="TracedFile.LeftOut"/> saying why (<see cref="WhyLeftOut"/>).
    /// </summary>
    public IReadOnlyList<TracedFile> Trace(string program, IReadOnlyList<string> arguments)
    {
        if (!File.Exists(Strace))
            throw new TinyImageException($"Trace: {Strace} does not exist; install it with: apt-get install strace");
        if (!File.Exists(program))
            throw new TinyImageException($"Trace: '{program}' does not exist; check the AddBinary path");
        var work = Directory.CreateTempSubdirectory("tinyimage-trace-");
        try
        {
            var log = Path.Combine(work.FullName, ".strace.log");
            var start = new ProcessStartInfo(Strace)
            {
                WorkingDirectory = work.FullName,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in new[] { "-f", "-qq", "-e", "trace=%file,execve", "-o", log, "--", program }.Concat(arguments))
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)
                ?? throw new TinyImageException($"Trace: cannot start {Strace}");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TinyImageException(
                    $"Trace: {program} {string.Join(' ', arguments)} did not finish in {Timeout.TotalSeconds:0} s; give arguments that make it exit, e.g. --version");
            }
            _ = stdout.Result;
            var errors = stderr.Result;
            if (!File.Exists(log))
                throw new TinyImageException($"Trace: strace wrote no log (exit code {process.ExitCode}): {errors.Trim().ReplaceLineEndings(" ")}");
            var files = StraceLog.Parse(File.ReadLines(log));
            if (!files.Any(f => f.Executed))
                throw new TinyImageException($"Trace: strace could not run {program} (exit code {process.ExitCode}): {errors.Trim().ReplaceLineEndings(" ")}");
            return [.. files.Select(f => f with { LeftOut = WhyLeftOut(f.Path, work.FullName) })];
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Whether a traced file belongs in the image: under /usr, /etc, /lib*, /bin, /sbin or /opt, not
    /// in <paramref name="workingDirectory"/>, and not a host-specific file (ld.so.cache, the host's
    /// accounts, the files Docker bind-mounts).
    /// </summary>
    public static bool Keeps(string path, string? workingDirectory = null) => WhyLeftOut(path, workingDirectory) is null;

    /// <summary>Why a traced file does not belong in the image (see <see cref="Keeps"/>), in words; null when it does.</summary>
    /// <param name="workingDirectory">The directory the program ran in: the tracer's own, with its log.</param>
    public static string? WhyLeftOut(string path, string? workingDirectory = null)
    {
        if (workingDirectory?.TrimEnd('/') is { } own && (path == own || path.StartsWith(own + "/", StringComparison.Ordinal)))
            return "the tracer's own working directory, or a file in it";
        if (Excluded.TryGetValue(path, out var why)) return why;
        if (Roots.Any(r => path.StartsWith(r, StringComparison.Ordinal))) return null;
        return Elsewhere.FirstOrDefault(e => path.StartsWith(e.Prefix, StringComparison.Ordinal)).Why
               ?? "outside /usr, /etc, /lib*, /bin, /sbin and /opt; add it with AddFile or AddDirectory if the image needs it";
    }
}
