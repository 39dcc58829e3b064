using TinyImage.Core;
using TinyImage.Core.Dotnet;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Dotnet;

/// <summary>What AddDotnetApp says about a directory that is not one published app.</summary>
public sealed class DotnetAppReadTests
{
    private const string FrameworkDependent = """{ "runtimeOptions": { "framework": { "name": "Microsoft.NETCore.App", "version": "10.0.0" } } }""";

    [Fact]
    public void A_directory_with_two_apps_is_refused_naming_both()
    {
        using var dir = new TempDirectory();
        dir.Write("a.runtimeconfig.json", FrameworkDependent);
        dir.Write("b.runtimeconfig.json", FrameworkDependent);
        var error = Assert.Throws<TinyImageException>(() => DotnetApp.Read(dir.Path));
        Assert.Contains("several apps (a.runtimeconfig.json, b.runtimeconfig.json); publish each app to its own directory", error.Message);
    }

    [Fact]
    public void A_directory_without_an_app_says_to_give_the_publish_output()
    {
        using var dir = new TempDirectory();
        dir.Write("readme.txt", "not an app");
        var error = Assert.Throws<TinyImageException>(() => DotnetApp.Read(dir.Path));
        Assert.Contains("has no NAME.runtimeconfig.json and no single-file or Native AOT program; give the output directory of dotnet publish", error.Message);
        Assert.Contains("is not a directory", Assert.Throws<TinyImageException>(() => DotnetApp.Read(dir.Combine("missing"))).Message);
    }

    [Fact]
    public void A_framework_dependent_app_is_told_by_its_runtimeconfig_and_its_references_by_deps_json()
    {
        using var dir = new TempDirectory();
        dir.Write("web.runtimeconfig.json", """{ "runtimeOptions": { "frameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.0" }, { "name": "Microsoft.AspNetCore.App", "version": "10.0.0" } ] } }""");
        dir.Write("web.deps.json", """{ "targets": { ".NETCoreApp,Version=v10.0": { "web/1.0.0": {}, "System.Net.Http.Json/10.0.0": {} } }, "libraries": {} }""");
        var app = DotnetApp.Read(dir.Path);
        Assert.Equal(DotnetAppKind.FrameworkDependent, app.Kind);
        Assert.Equal("web", app.Name);
        Assert.Null(app.Executable);
        Assert.True(app.UsesOpenSsl); // ASP.NET Core
        Assert.True(app.UsesTls);     // System.Net.Http.Json
    }

    [Fact]
    public void A_console_app_with_no_network_or_crypto_reference_needs_neither_openssl_nor_certificates()
    {
        using var dir = new TempDirectory();
        dir.Write("tool.runtimeconfig.json", FrameworkDependent);
        var app = DotnetApp.Read(dir.Path);
        Assert.False(app.UsesOpenSsl);
        Assert.False(app.UsesTls);
    }
}
