namespace TinyImage.Tests.Integration;

/// <summary>tinyrun as a .NET tool: `dotnet pack` makes a package that `dotnet tool install` accepts from a local folder.</summary>
public sealed class ToolPackageTests
{
    [Fact]
    public void The_tool_package_installs_from_a_local_folder_and_runs()
    {
        using var dir = new TempDirectory();
        var pack = Run.Process("dotnet", ["pack", "src/Runner/TinyImage.Runner.csproj", "-c", "Release", "-o", dir.Combine("packages"), "--nologo"],
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.Single(Directory.GetFiles(dir.Combine("packages"), "TinyImage.Tool.*.nupkg"));

        var install = Run.Process("dotnet", ["tool", "install", "TinyImage.Tool", "--tool-path", dir.Combine("tools"),
            "--add-source", dir.Combine("packages"), "--prerelease"], timeout: TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, install.ToString());

        var help = Run.Process(dir.Combine("tools/tinyrun"), ["--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("inspect", help.Stdout);
        Assert.Contains("deps", help.Stdout);
    }
}
