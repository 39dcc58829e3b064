using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Security;

/// <summary>
/// Issue 8, finding 3: an output that exists and is not a regular file (a device, a link, a FIFO) is never replaced;
/// <c>-o -</c> writes the archive to stdout. The device is one of our own (mknod, as root), never the real /dev/null.
/// </summary>
public sealed class OutputPathTests
{
    private const string Recipe = "From.Scratch().AddText(\"/a\", \"a\").Tag(\"out:1\")\n";

    private static ProcessResult Build(TempDirectory dir, params string[] args) =>
        Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") }, dir.Path, ["r.tiny.csx", .. args]);

    /// <summary>Runs tinyrun with its stdout in the file stdout.tar (Run.Process reads stdout as text).</summary>
    private static ProcessResult BuildToStdoutFile(TempDirectory dir, string options) =>
        Run.Process("/bin/sh", ["-c", $"exec dotnet \"$0\" r.tiny.csx -o - {options} > stdout.tar", Path.Combine(AppContext.BaseDirectory, "tinyrun.dll")],
            dir.Path, new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") });

    private static void AssertRefused(ProcessResult result, string output, string what)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("tinyrun: ", StringComparison.Ordinal));
        Assert.Contains($"the output '{output}' is {what}", line);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Finding03_OutputThatIsADeviceIsRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var device = dir.Combine("null");
        var made = Run.Process("mknod", [device, "c", "1", "3"]); // a /dev/null of our own
        Assert.True(made.ExitCode == 0, $"these tests run as root: {made}");

        AssertRefused(Build(dir, "-o", device), device, "not a regular file (a device, a FIFO or a socket)");

        Assert.Equal("character special file", Run.Process("stat", ["-c", "%F", device]).Stdout.Trim()); // not replaced by a file
    }

    [Fact]
    public void Finding03_OutputThatIsALinkOrAFifoIsRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        File.CreateSymbolicLink(dir.Combine("stdout"), "/proc/self/fd/1"); // what /dev/stdout is
        AssertRefused(Build(dir, "-o", dir.Combine("stdout")), dir.Combine("stdout"), "a symbolic link");
        Assert.Equal("/proc/self/fd/1", new FileInfo(dir.Combine("stdout")).LinkTarget);

        Assert.Equal(0, Run.Process("mkfifo", [dir.Combine("fifo")]).ExitCode);
        AssertRefused(Build(dir, "-o", "fifo"), "fifo", "not a regular file");
        Assert.Equal("fifo", Run.Process("stat", ["-c", "%F", dir.Combine("fifo")]).Stdout.Trim());

        Assert.Equal(0, Build(dir, "-o", "layout", "--format", "oci-dir", "--quiet").ExitCode);
        File.CreateSymbolicLink(dir.Combine("layout-link"), dir.Combine("layout")); // an OCI layout, through a link
        AssertRefused(Build(dir, "-o", "layout-link", "--format", "oci-dir"), "layout-link", "a symbolic link");
    }

    [Fact]
    public void Finding03_DashWritesTheArchiveToStdoutAndTheSummaryToStderr()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", "System.Console.WriteLine(\"printed by the recipe\");\n" + Recipe);
        var result = BuildToStdoutFile(dir, "");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("/a", ImageArchive.Read(dir.Combine("stdout.tar")).NonDirectories());
        Assert.Contains("out:1  sha256:", result.Stderr);
        Assert.Contains("-> stdout", result.Stderr);
        Assert.Contains("printed by the recipe", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Finding03_DashIsRefusedForSeveralImagesAndForAnOciDirectory()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe.TrimEnd() + ";\nFrom.Scratch().Tag(\"other:1\");\n");
        var several = BuildToStdoutFile(dir, "");
        Assert.True(several.ExitCode == 1, several.ToString());
        Assert.Contains("-o - writes one archive to stdout but the recipe defines 2 images", several.Stderr);

        var layout = BuildToStdoutFile(dir, "--format oci-dir");
        Assert.True(layout.ExitCode == 2, layout.ToString());
        Assert.Contains("--format oci-dir writes a directory", layout.Stderr);
        Assert.Equal(0, new FileInfo(dir.Combine("stdout.tar")).Length);
    }
}
