using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary><c>Trace()</c> says what it chose not to add, and why: one note per path, never a change to the image.</summary>
public sealed class TraceNotesTests
{
    private static ImageBuilder Scratch() => new Recipe("/tmp/trace-notes.tiny.csx").From.Scratch();

    [Theory]
    [InlineData("/proc/self/maps", "under /proc, made by the kernel in each container")]
    [InlineData("/sys/devices/system/cpu/online", "under /sys, made by the kernel in each container")]
    [InlineData("/dev/urandom", "a device, made by the engine in each container")]
    [InlineData("/tmp/x", "under /tmp, a temporary file")]
    [InlineData("/var/tmp/x", "under /var/tmp, a temporary file")]
    [InlineData("/run/systemd/userdb", "under /run, the host's run-time state")]
    [InlineData("/home/me/.config/app.ini", "outside /usr, /etc, /lib*, /bin, /sbin and /opt; add it with AddFile or AddDirectory if the image needs it")]
    [InlineData("/etc/ld.so.cache", "the host's loader cache, which describes the host's libraries (WithLibs finds the image's)")]
    [InlineData("/etc/hosts", "Docker mounts it in the container")]
    [InlineData("/etc/passwd", "the host's accounts, not the image's; add .WithUser(...) or .WithPasswd()")]
    [InlineData("/usr/work/here/input.txt", "the tracer's own working directory, or a file in it")]
    [InlineData("/usr/work/here", "the tracer's own working directory, or a file in it")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libc.so.6", null)]
    public void Each_file_left_out_has_its_reason(string path, string? why)
    {
        Assert.Equal(why, ProgramTracer.WhyLeftOut(path, "/usr/work/here"));
        Assert.Equal(why is null, ProgramTracer.Keeps(path, "/usr/work/here"));
    }

    [Fact]
    public async Task A_traced_program_gets_one_note_per_file_it_opened_and_Trace_did_not_add()
    {
        using var dir = new TempDirectory();
        var scratch = dir.Write("scratch.txt", "x");
        var hints = new List<string>();
        var tree = await new ImagePipeline(new ImagePipelineOptions { Hint = hints.Add }).AssembleAsync(Scratch()
            .AddBinary("/usr/bin/cat")
            .Trace(["/proc/self/stat", "/etc/hostname", scratch, "/dev/null", "/etc/os-release"])
            .Trace(["/proc/self/stat", "/etc/os-release"])
            .Spec, platform: null, CancellationToken.None);

        Assert.Equal(
        [
            "note: Trace left out /etc/ld.so.cache: the host's loader cache, which describes the host's libraries (WithLibs finds the image's)",
            "note: Trace left out /proc/self/stat: under /proc, made by the kernel in each container",
            "note: Trace left out /etc/hostname: Docker mounts it in the container",
            $"note: Trace left out {scratch}: {ProgramTracer.WhyLeftOut(scratch)}", // under /tmp, or outside the roots kept
            "note: Trace left out /dev/null: a device, made by the engine in each container",
        ], hints);
        Assert.NotNull(new Core.Needs.ImageView(tree).Follow("/etc/os-release"));
        Assert.Null(tree.Find("/etc/hostname"));
    }

    [Fact]
    public void A_file_gone_after_the_trace_and_one_in_the_tracers_own_directory_are_noted()
    {
        // A stand-in for strace that writes the log of a program which read a file in its working directory and one it then removed.
        using var dir = new TempDirectory();
        var gone = "/usr/share/tinyimage-test-removed-" + Guid.NewGuid().ToString("N");
        var strace = dir.Write("strace", $$"""
            #!/bin/sh
            while [ "$1" != "-o" ]; do shift; done
            log="$2"; shift 3
            cat > "$log" <<EOF
            1 execve("$1", ["$1"], 0x7ffd /* 1 var */) = 0
            1 openat(AT_FDCWD, "$(pwd)/input.txt", O_RDONLY) = 3
            1 openat(AT_FDCWD, "{{gone}}", O_RDONLY|O_CLOEXEC) = 3
            1 openat(AT_FDCWD, "/usr/lib/locale", O_RDONLY|O_CLOEXEC) = 3
            EOF

            """);
        File.SetUnixFileMode(strace, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var hints = new List<string>();
        new TreeAssembler(new ResolverOptions(), new ProgramTracer(strace), hint: hints.Add)
            .Assemble(Scratch().AddBinary("/usr/bin/true").Trace("--version").Spec);

        Assert.Equal(2, hints.Count);
        Assert.Matches(@"^note: Trace left out /\S*/tinyimage-trace-\w+/input\.txt: the tracer's own working directory, or a file in it$", hints[0]);
        Assert.Equal($"note: Trace left out {gone}: it is no longer a regular file in the root (the program removed it, or it is a FIFO, socket or device)", hints[1]);
    }
}
