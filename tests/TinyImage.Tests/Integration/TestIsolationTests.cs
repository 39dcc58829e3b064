using TinyImage.Core.Build;

namespace TinyImage.Tests.Integration;

/// <summary>
/// The tests keep to themselves (finding 18): their own cache directory, never the user's ~/.cache/tinyrun, and in the
/// Docker engine only names of their own, removed afterwards.
/// </summary>
// Reads TINYRUN_CACHE, which VerifyCommandTests changes for a moment: never beside another test.
[Collection(DockerCollection.Name)]
public sealed class TestIsolationTests
{
    [Fact]
    public void Finding18_Tinyrun_run_by_the_tests_writes_nothing_under_the_users_home()
    {
        using var home = new TempDirectory();
        using var dir = new TempDirectory();
        dir.Write("home.tiny.csx", "From.Scratch().AddText(\"/etc/home-test\", \"1\").Tag(\"home-test:1\")\n");
        // No XDG_CACHE_HOME: without a TINYRUN_CACHE of its own, tinyrun would use $HOME/.cache/tinyrun.
        var environment = new Dictionary<string, string> { ["HOME"] = home.Path, ["XDG_CACHE_HOME"] = "" };

        var build = Run.Process("dotnet", [Run.TinyrunDll, "home.tiny.csx", "-o", "home.tar"], dir.Path, environment);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(home.Path, "*", SearchOption.AllDirectories));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(TestRunCache.Directory, "layers"), "*", SearchOption.AllDirectories)); // it used the test run's cache
    }

    [Fact]
    public void Finding18_In_process_pipelines_cache_layers_in_the_test_runs_directory()
    {
        var layers = ImagePipelineOptions.FromEnvironment().LayerCacheDirectory;

        Assert.NotNull(layers);
        Assert.StartsWith(TestRunCache.Directory + "/", layers);
        Assert.StartsWith(Path.GetTempPath(), TestRunCache.Directory);
    }

    [Fact]
    public void Finding18_The_cache_of_a_finished_test_run_is_removed_and_that_of_a_running_one_is_kept()
    {
        var finished = Directory.CreateTempSubdirectory("tinyimage-test-cache-").FullName; // as a killed test host leaves it
        File.WriteAllText(Path.Combine(finished, "run.lock"), "");
        Directory.CreateDirectory(Path.Combine(finished, "layers/gzip"));
        File.WriteAllText(Path.Combine(finished, "layers/gzip/blob"), "left behind");
        try
        {
            TestRunCache.RemoveFinishedRuns();

            Assert.False(Directory.Exists(finished));
            Assert.True(File.Exists(Path.Combine(TestRunCache.Directory, "run.lock"))); // this run's: locked, kept
        }
        finally
        {
            if (Directory.Exists(finished)) Directory.Delete(finished, recursive: true);
        }
    }

    [Fact]
    public void Finding18_Disposing_the_tests_images_removes_their_names_and_no_other()
    {
        using var dir = new TempDirectory();
        dir.Write("rootfs/etc/motd", "isolation\n");
        var users = $"tinyimage-user-{Guid.NewGuid():N}"[..30] + ":latest"; // stands for an image of the user's
        var import = Run.Process("/bin/sh", ["-c", $"tar -C '{dir.Combine("rootfs")}' -c . | docker import - {users}"]);
        Assert.True(import.ExitCode == 0, import.ToString());
        try
        {
            string ours;
            using (var images = new EngineImages())
            {
                ours = images.Tag("isolation");
                Assert.Matches(@"^tinyimage-test-[0-9a-f]{12}/isolation:t$", ours);
                Assert.Equal(0, Run.Docker("tag", users, ours).ExitCode);
                Assert.Equal(0, Run.Docker("image", "inspect", ours).ExitCode);
            }

            Assert.NotEqual(0, Run.Docker("image", "inspect", ours).ExitCode);
            Assert.Equal(0, Run.Docker("image", "inspect", users).ExitCode);
        }
        finally
        {
            Run.Docker("rmi", "-f", users);
        }
    }
}
