namespace TinyImage.Tests.Integration;

/// <summary>.Root(dir): an image made from another root file system, not from the host.</summary>
[Collection(DockerCollection.Name)]
public sealed class SysrootRecipeTests
{
    private const string Multiarch = "/usr/lib/x86_64-linux-gnu";

    [Fact]
    public void An_image_built_from_a_sysroot_takes_the_program_and_its_libraries_from_inside_it()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("rootfs");
        // The root's "/usr/bin/tool" is a copy of the host's echo: running it proves where it came from.
        Copy("/usr/bin/echo", root + "/usr/bin/tool");
        foreach (var name in new[] { "libc.so.6", "ld-linux-x86-64.so.2" }) Copy($"{Multiarch}/{name}", root + $"{Multiarch}/{name}");
        Link(root + "/bin", "usr/bin");
        Link(root + "/lib", "usr/lib");
        Link(root + "/lib64", "usr/lib64");
        Link(root + "/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        // An absolute link means the root's file, never the host's (the host has no /opt/tinyimage-only).
        Copy("/usr/bin/echo", root + "/opt/tinyimage-only/echo");
        Link(root + "/usr/bin/alt", "/opt/tinyimage-only/echo");
        using var images = new EngineImages();
        var tag = images.Tag("sysroot");
        dir.Write("sysroot.tiny.csx", $$"""
            From.Scratch()
                .Root("rootfs")
                .AddBinary("/usr/bin/alt", "/app/alt")
                .AddBinary("/bin/tool")
                .WithLibs()
                .Entrypoint("/bin/tool")
                .Tag("{{tag}}")
            """);

        var build = Run.Tinyrun(dir.Path, "sysroot.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        var files = ImageArchive.Read(dir.Combine("out/sysroot.tar")).NonDirectories();
        Assert.Equal(["/app/alt", "/bin", "/lib", "/lib64", "/usr/bin/tool", $"{Multiarch}/ld-linux-x86-64.so.2", $"{Multiarch}/libc.so.6", "/usr/lib64/ld-linux-x86-64.so.2"],
            files.Order(StringComparer.Ordinal));
        var run = Run.Docker("run", "--rm", "--network", "none", tag, "from the root");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("from the root\n", run.Stdout);
    }

    [Fact]
    public void A_program_missing_from_the_sysroot_is_not_taken_from_the_host()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("rootfs/usr/bin"));
        dir.Write("sysroot.tiny.csx", "From.Scratch()\n    .Root(\"rootfs\")\n    .AddBinary(\"/usr/bin/echo\")\n");
        var build = Run.Tinyrun(dir.Path, "sysroot.tiny.csx");
        Assert.Equal(1, build.ExitCode);
        Assert.Contains("sysroot.tiny.csx(3): AddBinary: ", build.Stderr);
        Assert.Contains("'/usr/bin/echo' in root '", build.Stderr);
        Assert.Contains("rootfs' does not exist", build.Stderr);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to);
        File.SetUnixFileMode(to, File.GetUnixFileMode(from));
    }

    private static void Link(string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
    }
}
