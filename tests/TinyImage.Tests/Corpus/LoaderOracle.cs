using System.Diagnostics;

namespace TinyImage.Tests.Corpus;

/// <summary>
/// The real glibc loader's answer for one executable: <c>INTERP --list FILE</c> (what ldd runs),
/// parsed into the paths it opened, the names it could not find, and whether it refused the file or
/// found it static. A static ELF executable makes ld.so crash when listed, so a listing that prints
/// nothing is settled with <c>INTERP --verify FILE</c> (exit code 1: not a dynamic executable).
/// </summary>
public sealed record LoaderOracle(
    LoaderVerdict Verdict, IReadOnlySet<string> Paths, IReadOnlySet<string> NotFound, int ExitCode, string Output)
{
    public const string DefaultInterpreter = "/lib64/ld-linux-x86-64.so.2";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Lists <paramref name="file"/> (a host path without symlinks, so that ld.so's $ORIGIN for it is the
    /// one the kernel would give) with <paramref name="interpreter"/>, run in <paramref name="chroot"/> when given.
    /// <paramref name="isLibrary"/> says the file has no PT_INTERP, so the interpreter counts only when listed.
    /// </summary>
    public static LoaderOracle List(string file, string interpreter = DefaultInterpreter, string? chroot = null, bool isLibrary = false)
    {
        var (rc, stdout, stderr) = Run(interpreter, ["--list", file], chroot);
        var listing = Parse(rc, stdout, stderr, isLibrary ? null : interpreter);
        if (listing.Verdict == LoaderVerdict.Failed && listing.Paths.Count == 0 && listing.NotFound.Count == 0 && stderr.Length == 0)
        {
            // ld.so cannot list a static ET_EXEC: it jumps into it and usually crashes. Ask it instead.
            var (verify, _, _) = Run(interpreter, ["--verify", file], chroot);
            if (verify == 1) return listing with { Verdict = LoaderVerdict.Static };
        }
        return listing;
    }

    /// <summary>The name in ld.so's "error while loading shared libraries: NAME: reason", or null.</summary>
    public string? FailedName
    {
        get
        {
            const string marker = "error while loading shared libraries: ";
            var at = Output.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) return null;
            var rest = Output[(at + marker.Length)..];
            var end = rest.IndexOf(": ", StringComparison.Ordinal);
            return end < 0 ? null : rest[..end];
        }
    }

    /// <summary>
    /// Parses what <c>INTERP --list FILE</c> printed and its exit code. ld.so lists itself only when an
    /// object needs it by name (libc does); <paramref name="interpreter"/> (FILE's PT_INTERP, which the
    /// kernel loads anyway; null for a library) is added to the paths of a successful listing without it.
    /// </summary>
    public static LoaderOracle Parse(int rc, string stdout, string stderr, string? interpreter)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var notFound = new HashSet<string>(StringComparer.Ordinal);
        var isStatic = false;
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("linux-vdso.so", StringComparison.Ordinal)) continue;
            if (line == "statically linked") { isStatic = true; continue; }
            var arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            var target = arrow >= 0 ? line[(arrow + 4)..] : line;
            if (target.StartsWith("not found", StringComparison.Ordinal)) { notFound.Add(line[..arrow]); continue; }
            var paren = target.LastIndexOf(" (0x", StringComparison.Ordinal);
            if (paren >= 0) target = target[..paren];
            if (target.StartsWith('/')) paths.Add(target);
        }
        var output = (stdout + stderr).Trim();
        var verdict = rc == 0 && notFound.Count == 0 ? isStatic ? LoaderVerdict.Static : LoaderVerdict.Loaded : LoaderVerdict.Failed;
        if (verdict == LoaderVerdict.Loaded && interpreter is not null) paths.Add(interpreter);
        return new LoaderOracle(verdict, paths, notFound, rc, output);
    }

    /// <summary>Runs a program with no LD_* variables, optionally chrooted (with its own /proc), and kills it after a timeout.</summary>
    public static (int ExitCode, string StdOut, string StdErr) Run(string program, IEnumerable<string> args, string? chroot = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(chroot is null ? program : "unshare")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        if (chroot is not null)
        {
            // A private mount and PID namespace with /proc mounted in the image, as a container has:
            // ld.so finds the executable's $ORIGIN through /proc/self/exe.
            Directory.CreateDirectory(Path.Combine(chroot, "proc"));
            foreach (var a in new[] { "--mount", "--pid", "--fork", $"--mount-proc={Path.Combine(chroot, "proc")}", "chroot", chroot, program })
                info.ArgumentList.Add(a);
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("LD_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"cannot start '{info.FileName}' ({e.Message}); the loader tests need glibc's ld.so, and root with unshare (util-linux) and chroot (coreutils), on a Debian x86_64 host", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish within {Timeout.TotalSeconds} s");
            }
            process.WaitForExit();
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
