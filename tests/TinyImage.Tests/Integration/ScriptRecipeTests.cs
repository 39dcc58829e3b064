namespace TinyImage.Tests.Integration;

/// <summary>#! scripts bring their interpreters (and, through /usr/bin/env, the program it runs); they run in a scratch image.</summary>
[Collection(DockerCollection.Name)]
public sealed class ScriptRecipeTests
{
    [Fact]
    public void Scripts_run_in_a_scratch_image_with_their_interpreters_and_nothing_else()
    {
        using var dir = new TempDirectory();
        dir.Write("greet.sh", "#!/bin/sh\necho \"hello from $0\"\n");
        dir.Write("count.sh", "#!/usr/bin/env bash\nfor i in {1..3}; do printf '%s ' \"$i\"; done; echo\n");
        File.SetUnixFileMode(dir.Combine("greet.sh"), (UnixFileMode)0x1ED);
        File.SetUnixFileMode(dir.Combine("count.sh"), (UnixFileMode)0x1ED);
        using var images = new EngineImages();
        var tag = images.Tag("scripts");
        dir.Write("scripts.tiny.csx", $$"""
            From.Scratch()
                .AddBinary("greet.sh", "/app/greet.sh")
                .AddBinary("count.sh", "/app/count.sh")
                .WithLibs()
                .Tag("{{tag}}")
            """);
        var build = Run.Tinyrun(dir.Path, "scripts.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        var files = ImageArchive.Read(dir.Combine("out/scripts.tar")).NonDirectories();
        Assert.Contains("/usr/bin/dash", files);      // /bin/sh -> dash
        Assert.Contains("/usr/bin/env", files);       // #!/usr/bin/env bash
        Assert.Contains("/usr/bin/bash", files);      // ... and what env runs
        var greet = Run.Docker("run", "--rm", "--network", "none", tag, "/app/greet.sh");
        Assert.True(greet.ExitCode == 0, greet.ToString());
        Assert.Equal("hello from /app/greet.sh\n", greet.Stdout);
        var count = Run.Docker("run", "--rm", "--network", "none", tag, "/app/count.sh");
        Assert.True(count.ExitCode == 0, count.ToString());
        Assert.Equal("1 2 3 \n", count.Stdout);
    }
}
