using System.Diagnostics;

namespace TinyImage.Core.Build;

/// <summary>
/// Runs a program once on the host under <c>strace -f -e trace=%file,execve</c> (Debian package
/// strace), in an empty temporary directory with stdin from /dev/null, and returns the files it
/// opened and ran that belong in an image (see <see cref="Keeps"/>). This is the only place
/// TinyImage runs a program it puts in an image, and only when a recipe calls <c>Trace</c>.
/// </summary>
public sealed class ProgramTracer
{
    private static readonly string[] Roots = ["/usr/", "/etc/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/", "/opt/"];

    // The host's loader cache and preload list describe the host, not the image; Docker bind-mounts
    // hosts, resolv.conf and hostname; the host's accounts are not the image's (use WithUser).
    private static readonly HashSet<string> Excluded = new(StringComparer.Ordinal)
    {
        "/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname",
        "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/mtab",
    };

    public ProgramTracer(string strace = "/usr/bin/strace", TimeSpan? timeout = null)
    {
        Strace = strace;
        Timeout = timeout ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>The strace executable.</summary>
    public string Strace { get; }

    /// <summary>How long the traced program may run before it is killed and the trace fails.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> and returns the files worth keeping, in the order first opened.</summary>
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
            return files.Where(f => Keeps(f.Path, work.FullName)).ToList();
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
    public static bool Keeps(string path, string? workingDirectory = null) =>
        Roots.Any(r => path.StartsWith(r, StringComparison.Ordinal)) &&
        !Excluded.Contains(path) &&
        (workingDirectory is null || !path.StartsWith(workingDirectory.TrimEnd('/') + "/", StringComparison.Ordinal));
}
