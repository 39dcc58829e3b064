using System.Text;
using TinyImage.Core;
using TinyImage.Core.Dotnet;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Dotnet;

public sealed class RuntimeConfigTests
{
    [Fact]
    public void A_framework_dependent_config_names_its_frameworks_roll_forward_and_switches()
    {
        var config = Parse("""
            { "runtimeOptions": { "tfm": "net10.0", "rollForward": "LatestPatch",
              "frameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.0" }, { "name": "Microsoft.AspNetCore.App", "version": "10.0.0" } ],
              "configProperties": { "System.Globalization.Invariant": true, "System.TimeZoneInfo.Invariant": "true" } } }
            """);
        Assert.Equal([new FrameworkReference("Microsoft.NETCore.App", "10.0.0"), new FrameworkReference("Microsoft.AspNetCore.App", "10.0.0")], config.Frameworks.ToArray());
        Assert.Empty(config.IncludedFrameworks);
        Assert.Equal("LatestPatch", config.RollForward);
        Assert.True(config.InvariantGlobalization);
        Assert.True(config.InvariantTimezone);
    }

    [Fact]
    public void A_self_contained_config_lists_included_frameworks_and_defaults_to_minor_without_switches()
    {
        var config = Parse("""{ "runtimeOptions": { "includedFrameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.12" } ], "configProperties": { "System.Globalization.Invariant": false } } }""");
        Assert.Empty(config.Frameworks);
        Assert.Single(config.IncludedFrameworks);
        Assert.Equal("Minor", config.RollForward);
        Assert.False(config.InvariantGlobalization);
        Assert.False(config.InvariantTimezone);
    }

    [Fact]
    public void Properties_are_added_where_the_config_does_not_set_them_and_its_own_values_stay()
    {
        var added = new Dictionary<string, string> { ["System.GC.Server"] = "false", ["System.StartupHookProvider.IsSupported"] = "false", ["Some.Number"] = "3" };
        var json = Encoding.UTF8.GetBytes("""{ "runtimeOptions": { "tfm": "net10.0", "configProperties": { "System.GC.Server": true } } }""");
        var config = RuntimeConfig.Parse(RuntimeConfig.WithProperties(json, added, "app.runtimeconfig.json"), "out");
        Assert.Equal(["Some.Number", "System.GC.Server", "System.StartupHookProvider.IsSupported"], config.Properties.Keys);
        Assert.Equal("true", config.Properties["System.GC.Server"]);
        Assert.Equal("false", config.Properties["System.StartupHookProvider.IsSupported"]);
        Assert.Equal("3", config.Properties["Some.Number"]);

        var without = RuntimeConfig.Parse(RuntimeConfig.WithProperties(Encoding.UTF8.GetBytes("""{ "runtimeOptions": { } }"""), added, "b"), "out");
        Assert.Equal("false", without.Properties["System.GC.Server"]);
        var error = Assert.Throws<TinyImageException>(() => RuntimeConfig.WithProperties(Encoding.UTF8.GetBytes("{ \"x\": 1 }"), added, "c.json"));
        Assert.Equal("c.json: has no \"runtimeOptions\" object; publish the app again with dotnet publish", error.Message);
    }

    [Theory]
    [InlineData("{ \"runtimeOptions\": ", "not valid JSON")]
    [InlineData("[1, 2]", "has no \"runtimeOptions\" object")]
    [InlineData("{ \"runtimeOptions\": { \"framework\": { \"name\": \"Microsoft.NETCore.App\" } } }", "a framework without a \"name\" and \"version\"")]
    [InlineData("{ \"runtimeOptions\": { \"frameworks\": {} } }", "\"frameworks\" is not a list")]
    public void A_broken_runtimeconfig_is_one_line_naming_the_file(string json, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("app.runtimeconfig.json", json);
        var error = Assert.Throws<TinyImageException>(() => RuntimeConfig.Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_runtimeconfig_larger_than_the_bound_is_refused_without_reading_it_all()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("app.runtimeconfig.json", "{ \"runtimeOptions\": {} " + new string(' ', RuntimeConfig.MaxBytes) + "}");
        var error = Assert.Throws<TinyImageException>(() => RuntimeConfig.Read(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_broken_deps_file_is_one_line_naming_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("app.deps.json", "{ \"targets\": [ ");
        var error = Assert.Throws<TinyImageException>(() => DepsFile.Read(path));
        Assert.StartsWith(path + ": not valid JSON", error.Message);
    }

    [Fact]
    public void A_deps_file_tells_the_runtime_pack_files_from_the_apps_libraries()
    {
        var deps = DepsFile.Parse(Encoding.UTF8.GetBytes("""
            { "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0/linux-x64" },
              "targets": { ".NETCoreApp,Version=v10.0/linux-x64": {
                "hello/1.0.0": { "dependencies": { "Newtonsoft.Json": "13.0.3" }, "runtime": { "hello.dll": {} } },
                "Newtonsoft.Json/13.0.3": { "runtime": { "lib/net6.0/Newtonsoft.Json.dll": {} } },
                "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.12": { "runtime": { "System.Net.Http.dll": {} }, "native": { "libcoreclr.so": {} } } } },
              "libraries": { "hello/1.0.0": { "type": "project" }, "Newtonsoft.Json/13.0.3": { "type": "package" },
                "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.12": { "type": "runtimepack" } } }
            """), "hello.deps.json");
        Assert.Equal(["Newtonsoft.Json", "hello", "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64"], deps.Libraries.ToArray());
        Assert.Equal(["System.Net.Http.dll", "libcoreclr.so"], deps.RuntimePackFiles.Order(StringComparer.Ordinal).ToArray());
    }

    private static RuntimeConfig Parse(string json) => RuntimeConfig.Parse(Encoding.UTF8.GetBytes(json), "app.runtimeconfig.json");
}
