namespace TinyImage.Tests.Elf;

/// <summary>The real glibc loader's answer for an executable: run it with LD_TRACE_LOADED_OBJECTS=1 (what ldd does), parsed.</summary>
public sealed record LoaderTrace(int ExitCode, IReadOnlySet<string> Paths, IReadOnlySet<string> NotFound, string Output)
{
    public static LoaderTrace Of(string executable)
    {
        var (rc, stdout, stderr) = ElfFixture.Run(executable, [], environment: new Dictionary<string, string> { ["LD_TRACE_LOADED_OBJECTS"] = "1" });
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var notFound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("linux-vdso", StringComparison.Ordinal)) continue;
            var arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            var target = arrow >= 0 ? line[(arrow + 4)..] : line;
            if (target.StartsWith("not found", StringComparison.Ordinal)) { notFound.Add(line[..arrow]); continue; }
            var paren = target.LastIndexOf(" (0x", StringComparison.Ordinal);
            if (paren >= 0) target = target[..paren];
            if (target.StartsWith('/')) paths.Add(target);
        }
        return new LoaderTrace(rc, paths, notFound, stdout + stderr);
    }
}
