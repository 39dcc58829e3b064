using TinyImage.Core.Build;

namespace TinyImage.Tests.Runtime;

public sealed class StraceLogTests
{
    [Fact]
    public void Successful_reads_and_execs_are_kept_in_order_and_once()
    {
        var log = new[]
        {
            "100 execve(\"/usr/bin/python3\", [\"python3\", \"-c\", \"x\"], 0x7ffd /* 20 vars */) = 0",
            "100 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3",
            "100 openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libc.so.6\", O_RDONLY|O_CLOEXEC) = 3",
            "100 openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libc.so.6\", O_RDONLY|O_CLOEXEC) = 3",
            "100 openat(AT_FDCWD, \"/usr/lib/missing.so\", O_RDONLY) = -1 ENOENT (No such file or directory)",
            "100 openat(AT_FDCWD, \"/usr/lib/python3.11\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3",
            "100 openat(AT_FDCWD, \"/root/.history\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4",
            "100 openat(AT_FDCWD, \"relative.txt\", O_RDONLY) = 3",
            "100 newfstatat(AT_FDCWD, \"/usr/lib/python3.11/json/__init__.py\", {st_mode=S_IFREG|0644, st_size=14020, ...}, 0) = 0",
            "100 newfstatat(3, \"\", {st_mode=S_IFREG|0644, ...}, AT_EMPTY_PATH) = 0",
            "100 open(\"/etc/old-style\", O_RDONLY) = 5",
            "100 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)",
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---",
            "+++ exited with 0 +++",
        };
        Assert.Equal(
            [
                new TracedFile("/usr/bin/python3", true),
                new TracedFile("/etc/ld.so.cache", false),
                new TracedFile("/lib/x86_64-linux-gnu/libc.so.6", false),
                new TracedFile("/usr/lib/python3.11/json/__init__.py", false),
                new TracedFile("/etc/old-style", false),
            ],
            StraceLog.Parse(log));
    }

    [Fact]
    public void Unfinished_calls_are_joined_with_their_resumption_per_process()
    {
        var log = new[]
        {
            "200 openat(AT_FDCWD, \"/usr/share/a\", O_RDONLY <unfinished ...>",
            "201 openat(AT_FDCWD, \"/usr/share/b\", O_RDONLY <unfinished ...>",
            "201 <... openat resumed>) = -1 ENOENT (No such file or directory)",
            "200 <... openat resumed>) = 7",
            "202 execve(\"/usr/bin/git-remote-https\", [\"git-remote-https\"], 0x55 /* 3 vars */ <unfinished ...>",
            "202 <... execve resumed>) = 0",
        };
        Assert.Equal([new TracedFile("/usr/share/a", false), new TracedFile("/usr/bin/git-remote-https", true)], StraceLog.Parse(log));
    }

    [Fact]
    public void Lines_without_a_pid_prefix_are_read_too() =>
        Assert.Equal([new TracedFile("/etc/x", false)], StraceLog.Parse(["openat(AT_FDCWD, \"/etc/x\", O_RDONLY) = 3"]));

    [Theory]
    [InlineData("\"/a\\\"b\"", "/a\"b")]
    [InlineData("\"/a\\\\b\"", "/a\\b")]
    [InlineData("\"/caf\\303\\251\"", "/café")]
    [InlineData("\"/x\\x41y\"", "/xAy")]
    [InlineData("\"/tab\\there\"", "/tab\there")]
    public void Strace_string_escapes_are_decoded(string literal, string expected) =>
        Assert.Equal(expected, StraceLog.ReadString(literal, out _));

    [Fact]
    public void A_string_strace_cut_off_is_not_a_path() => Assert.Null(StraceLog.ReadString("\"/usr/lib/ab", out _));

    [Theory]
    [InlineData("/usr/lib/x86_64-linux-gnu/libssl.so.3", true)]
    [InlineData("/etc/ssl/openssl.cnf", true)]
    [InlineData("/lib64/ld-linux-x86-64.so.2", true)]
    [InlineData("/opt/app/data.bin", true)]
    [InlineData("/proc/self/maps", false)]
    [InlineData("/sys/devices/system/cpu/online", false)]
    [InlineData("/dev/null", false)]
    [InlineData("/tmp/x", false)]
    [InlineData("/root/.config/x", false)]
    [InlineData("/etc/ld.so.cache", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("/etc/resolv.conf", false)]
    [InlineData("/etc/hosts", false)]
    [InlineData("/usr/work/here/file", false)]
    public void Only_system_files_outside_the_working_directory_are_kept(string path, bool kept) =>
        Assert.Equal(kept, ProgramTracer.Keeps(path, "/usr/work/here"));
}
