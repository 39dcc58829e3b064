using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary>An owned directory in a real container (<c>--network none</c>): the image's non-root user can write in it, not beside it.</summary>
[Collection(DockerCollection.Name)]
public sealed class FileOwnerContainerTests
{
    [Fact]
    public void A_non_root_user_writes_into_the_directory_MkDir_gave_it_and_not_into_roots()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("owned-dir");
        dir.Write("owned.tiny.csx", $"""
            From.Scratch()
                .AddBinary("/usr/bin/touch")
                .WithLibs()
                .MkDir("/var/lib/app", 755, owner: "app")
                .MkDir("/var/lib/other")
                .WithUser("app", 1000)
                .Entrypoint("/usr/bin/touch")
                .Tag("{tag}");

            """);
        var build = Run.Tinyrun(dir.Path, "owned.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());

        var owned = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", tag, "/var/lib/app/state");
        Assert.True(owned.ExitCode == 0, owned.ToString());
        var rootOwned = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", tag, "/var/lib/other/state");
        Assert.True(rootOwned.ExitCode != 0, rootOwned.ToString());
        Assert.Contains("Permission denied", rootOwned.Stderr);
    }
}
