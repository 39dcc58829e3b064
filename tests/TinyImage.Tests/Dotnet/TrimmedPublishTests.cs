using System.Collections.Immutable;
using TinyImage.Core;
using TinyImage.Core.Dotnet;

namespace TinyImage.Tests.Dotnet;

/// <summary>What a trimmed publish must agree on with the framework-dependent image it analyses for.</summary>
public sealed class TrimmedPublishTests
{
    private static readonly TrimmedPublish Trimmed = new("bin/trimmed", ["System.Runtime"],
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string> { ["System.StartupHookProvider.IsSupported"] = "false", ["System.GC.Server"] = "true" }),
        [new FrameworkReference("Microsoft.NETCore.App", "10.0.12"), new FrameworkReference("Microsoft.AspNetCore.App", "10.0.12")]);

    [Fact]
    public void The_frameworks_shipped_must_be_those_the_trimmer_analysed()
    {
        Trimmed.CheckFrameworks([("Microsoft.NETCore.App", "10.0.12"), ("Microsoft.AspNetCore.App", "10.0.12")]);
        var error = Assert.Throws<TinyImageException>(() => Trimmed.CheckFrameworks([("Microsoft.NETCore.App", "10.0.14")]));
        Assert.Equal("AddDotnetApp: trimmedPublish 'bin/trimmed' was published with Microsoft.NETCore.App 10.0.12, and the image ships 10.0.14; "
            + "publish it again with the SDK of that runtime (or give dotnetRoot: the installation it was published for)", error.Message);
    }

    [Fact]
    public void The_switches_the_app_lacks_are_added_and_one_it_sets_otherwise_is_refused()
    {
        var added = Trimmed.SwitchesMissingFrom(new Dictionary<string, string> { ["System.GC.Server"] = "true" }, "publish/app.runtimeconfig.json");
        Assert.Equal(["System.StartupHookProvider.IsSupported"], added.Keys);
        var error = Assert.Throws<TinyImageException>(() => Trimmed.SwitchesMissingFrom(new Dictionary<string, string> { ["System.GC.Server"] = "false" }, "publish/app.runtimeconfig.json"));
        Assert.Equal("AddDotnetApp: publish/app.runtimeconfig.json sets System.GC.Server to false, and trimmedPublish 'bin/trimmed' was published with true; publish both with the same settings", error.Message);
    }
}
