using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Dotnet;

/// <summary>recipes/dotnet-webapi.tiny.csx: the recipe publishes the minimal API itself (Sh) and the image answers on 127.0.0.1.</summary>
[Collection(DockerCollection.Name)]
public sealed class DotnetWebApiRecipeTests
{
    /// <summary>
    /// Each way the recipe publishes (Native AOT needs clang and zlib1g-dev: scripts/install-test-deps.sh), with its
    /// default openssl=false: the API serves plain HTTP, so it answers without OpenSSL in the image.
    /// </summary>
    [Theory]
    [InlineData("framework", "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/10.", "/Microsoft.AspNetCore.dll")]
    [InlineData("self-contained", "/app/", "/Microsoft.AspNetCore.Server.Kestrel.Core.dll")]
    [InlineData("aot", "/app/", "/webapi")]
    public async Task The_minimal_api_answers_json_from_its_scratch_image_without_openssl(string publish, string prefix, string suffix)
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("dotnet-webapi-" + publish);
        var build = Run.Tinyrun(Run.RepoRoot, "recipes/dotnet-webapi.tiny.csx", "--load", "--tag", tag, "--output", dir.Combine("webapi.tar"), "--arg", "publish=" + publish);
        Assert.True(build.ExitCode == 0, build.ToString());
        var files = ImageArchive.Read(dir.Combine("webapi.tar")).NonDirectories();
        Assert.Contains(files, f => f.StartsWith(prefix, StringComparison.Ordinal) && f.EndsWith(suffix, StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => Path.GetFileName(f).StartsWith("libssl.so", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("libcrypto.so", StringComparison.Ordinal));
        Assert.DoesNotContain("/etc/ssl/certs/ca-certificates.crt", files);
        Assert.Contains(files, f => Path.GetFileName(f).StartsWith("libicuuc.so.", StringComparison.Ordinal)); // globalization=true by default
        // framework: the trimmer's analysis (trimmedPublish) leaves out what the app's references alone would keep;
        // self-contained: trimmed by the trimmer itself.
        foreach (var unreached in new[] { "Microsoft.AspNetCore.Server.HttpSys.dll", "Microsoft.AspNetCore.DataProtection.dll", "System.Private.Xml.dll" })
            Assert.DoesNotContain(files, f => f.EndsWith("/" + unreached, StringComparison.Ordinal));

        var port = DockerRecipeTests.FreeLoopbackPort();
        var name = $"tinyimage-dotnet-webapi-{publish}-{port}";
        var start = Run.Docker("run", "-d", "--rm", "--pull", "never", "--name", name, "--network", "host", "-e", $"ASPNETCORE_HTTP_PORTS={port}", tag);
        Assert.True(start.ExitCode == 0, start.ToString());
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            for (var attempt = 0; attempt < 150 && body is null; attempt++)
            {
                try { body = await http.GetStringAsync($"http://127.0.0.1:{port}/releases"); }
                catch (HttpRequestException) { await Task.Delay(200); }
            }
            Assert.True(body is not null, "no answer; the container said: " + Run.Docker("logs", name));
            Assert.StartsWith("[{\"version\":\"10.0\",\"released\":\"2025-11-11\",\"support\":\"LTS\"}", body);
        }
        finally
        {
            Run.Docker("rm", "-f", name);
        }
    }
}
