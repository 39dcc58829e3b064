namespace TinyImage.Tests.Integration;

/// <summary>tinyrun inspect on our archives and on archives written by other tools.</summary>
[Collection(DockerCollection.Name)]
public sealed class InspectTests
{
    [Fact]
    public void Inspect_shows_config_layers_and_the_file_tree_of_our_image()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Run.Tinyrun(Run.RepoRoot, "recipes/bash-ls.tiny.csx", "--output", dir.Combine("ls.tar")).ExitCode);
        var inspect = Run.Tinyrun(Run.RepoRoot, "inspect", dir.Combine("ls.tar"));
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.StartsWith("ls:latest  linux/amd64  created 1970-01-01T00:00:00Z", inspect.Stdout);
        Assert.Contains("  Cmd         [\"/bin/bash\"]", inspect.Stdout);
        Assert.Matches(@"\n  1\. sha256:[0-9a-f]{64}  \S+ \S+ stored", inspect.Stdout);
        Assert.Matches(@"\n  bin -> usr/bin  \[layer \d\]  symlink on the path to /bin/bash; AddBinary at bash-ls\.tiny\.csx\(5\)\n", inspect.Stdout);
        Assert.Matches(@"\n      bash  \d\S* \S+", inspect.Stdout);
        Assert.Matches(@"\n        libtinfo\.so\.6 -> libtinfo\.so\.6\.\d", inspect.Stdout);
        // Why each file is there, kept in the archive beside the image.
        Assert.Matches(@"\n      bash  \S+ \S+  \[layer \d\]  AddBinary at bash-ls\.tiny\.csx\(5\)  \(package bash\)\n", inspect.Stdout);
        Assert.Matches(@"\n        libc\.so\.6  .*libc\.so\.6, needed by /bin/bash, found in default path /lib/x86_64-linux-gnu  \(package libc6\)\n", inspect.Stdout);
        // The image's packages with their versions, from its status.d (issue 11).
        var libc6 = Run.Process("dpkg-query", ["-W", "-f=${Version} ${Architecture}", "libc6"]).Stdout.Trim();
        Assert.Matches(@"\npackages \(\d+, from /var/lib/dpkg/status\.d\):\n(  \S+ \S+ \S+\n)+files:", inspect.Stdout);
        Assert.Contains($"\n  libc6 {libc6}\n", inspect.Stdout);
        Assert.Contains("\n  base-files ", inspect.Stdout);
    }

    [Fact]
    public void Inspect_reads_a_docker_save_archive_of_an_image_tinyrun_did_not_make()
    {
        using var dir = new TempDirectory();
        dir.Write("rootfs/etc/motd", "made by docker import\n");
        var tag = $"tinyimage-inspect-{Guid.NewGuid():N}"[..30] + ":1";
        var import = Run.Process("/bin/sh", ["-c", $"tar -C '{dir.Combine("rootfs")}' -c . | docker import -c 'ENV A=b' - {tag}"]);
        Assert.True(import.ExitCode == 0, import.ToString());
        try
        {
            var save = Run.Docker("save", tag, "-o", dir.Combine("saved.tar"));
            Assert.True(save.ExitCode == 0, save.ToString());
            var inspect = Run.Tinyrun(Run.RepoRoot, "inspect", dir.Combine("saved.tar"));
            Assert.True(inspect.ExitCode == 0, inspect.ToString());
            Assert.StartsWith(tag + "  linux/", inspect.Stdout);
            Assert.Contains("  Env         [\"A=b\"]", inspect.Stdout);
            Assert.Contains("\n    motd  22 B", inspect.Stdout);
        }
        finally
        {
            Run.Docker("rmi", "-f", tag);
        }
    }

    [Fact]
    public void Inspect_of_something_that_is_not_an_image_is_a_one_line_error()
    {
        var result = Run.Tinyrun(Run.RepoRoot, "inspect", "README.md");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("tinyrun: README.md: not a tar archive or damaged", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }
}
