using System.Text;
using TinyImage.Core;
using TinyImage.Core.Dotnet;

namespace TinyImage.Tests.Dotnet;

/// <summary>deps.json rewritten without the assemblies an image leaves out.</summary>
public sealed class DepsFileTests
{
    private const string Deps = """
        { "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0/linux-x64" },
          "targets": { ".NETCoreApp,Version=v10.0/linux-x64": {
            "app/1.0.0": { "runtime": { "app.dll": {} } },
            "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.12": {
              "runtime": { "System.Private.CoreLib.dll": { "assemblyVersion": "10.0.0.0" }, "Microsoft.VisualBasic.dll": {}, "System.Console.dll": {} },
              "native": { "libcoreclr.so": { "fileVersion": "0.0.0.0" } } } } },
          "libraries": { "app/1.0.0": { "type": "project" } } }
        """;

    [Fact]
    public void The_assets_left_out_are_taken_from_every_library_and_the_rest_is_kept_in_its_order()
    {
        var rewritten = Encoding.UTF8.GetString(DepsFile.WithoutAssets(Encoding.UTF8.GetBytes(Deps), new HashSet<string> { "Microsoft.VisualBasic.dll", "libcoreclr.so" }, "app.deps.json"));
        Assert.DoesNotContain("Microsoft.VisualBasic.dll", rewritten);
        Assert.DoesNotContain("libcoreclr.so", rewritten);
        Assert.Matches("(?s)System.Private.CoreLib.dll.*\"assemblyVersion\": \"10.0.0.0\".*System.Console.dll.*\"native\": \\{\\}.*\"type\": \"project\"", rewritten);
        Assert.Contains("\"app.dll\"", rewritten);
        Assert.Contains("\"runtimeTarget\"", rewritten);
        var parsed = DepsFile.Parse(Encoding.UTF8.GetBytes(rewritten), "rewritten");
        Assert.Contains("runtimepack.Microsoft.NETCore.App.Runtime.linux-x64", parsed.Libraries);
    }

    [Fact]
    public void A_damaged_deps_json_is_named_with_what_to_do()
    {
        var error = Assert.Throws<TinyImageException>(() => DepsFile.WithoutAssets(Encoding.UTF8.GetBytes("{ \"targets\": "), new HashSet<string>(), "/p/app.deps.json"));
        Assert.StartsWith("/p/app.deps.json: not valid JSON", error.Message);
        Assert.EndsWith("publish the app again with dotnet publish", error.Message);
        Assert.Contains("has no \"targets\" object", Assert.Throws<TinyImageException>(() => DepsFile.WithoutAssets(Encoding.UTF8.GetBytes("[]"), new HashSet<string>(), "x")).Message);
    }
}
