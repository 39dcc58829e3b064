using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Dotnet;
using TinyImage.Core.Elf;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Dotnet;

/// <summary>AddDotnetApp: the console app published each way, built into a scratch image by tinyrun, run in the engine.</summary>
[Collection(DockerCollection.Name)]
public sealed class DotnetAppImageTests(PublishedConsoleApps apps) : IClassFixture<PublishedConsoleApps>
{
    [Fact]
    public void A_framework_dependent_app_runs_with_the_shared_runtime_icu_time_zones_and_openssl_as_user_app()
    {
        Assert.Equal(DotnetAppKind.FrameworkDependent, DotnetApp.Read(apps.Published("fd")).Kind);
        var (archive, run) = BuildAndRun("fd");
        Assert.Equal(PublishedConsoleApps.ExpectedOutput, run);
        var files = archive.NonDirectories();
        Assert.Contains("/usr/share/dotnet/dotnet", files);
        Assert.Contains(files, f => f.StartsWith("/usr/share/dotnet/host/fxr/10.", StringComparison.Ordinal) && f.EndsWith("/libhostfxr.so", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("/usr/share/dotnet/shared/Microsoft.NETCore.App/10.", StringComparison.Ordinal) && f.EndsWith("/libcoreclr.so", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith("/libcoreclrtraceptprovider.so", StringComparison.Ordinal) || f.EndsWith("/libmscordbi.so", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains("/libicudata.so.", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("/libssl.so.3", StringComparison.Ordinal));
        Assert.Contains("/etc/ssl/certs/ca-certificates.crt", files); // the app uses HttpClient
        var config = archive.Config.GetProperty("config");
        Assert.Equal("1654:1654", config.GetProperty("User").GetString());
        Assert.Equal("/app", config.GetProperty("WorkingDir").GetString());
        Assert.Equal("/app/hello", config.GetProperty("Entrypoint")[0].GetString());
        Assert.Contains("DOTNET_ROOT=/usr/share/dotnet", config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void A_self_contained_app_runs_without_the_lttng_provider_it_ships()
    {
        Assert.True(File.Exists(Path.Combine(apps.Published("sc"), "libcoreclrtraceptprovider.so")), "the publish output has the provider, so leaving it out is tested");
        Assert.Equal(DotnetAppKind.SelfContained, DotnetApp.Read(apps.Published("sc")).Kind);
        var (archive, run) = BuildAndRun("sc");
        Assert.Equal(PublishedConsoleApps.ExpectedOutput, run);
        var files = archive.NonDirectories();
        Assert.Contains("/app/libcoreclr.so", files);
        Assert.DoesNotContain("/app/libcoreclrtraceptprovider.so", files);
        Assert.DoesNotContain(files, f => f.StartsWith("/usr/share/dotnet/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_single_file_app_runs_from_its_one_executable()
    {
        Assert.Equal(DotnetAppKind.SingleFile, DotnetApp.Read(apps.Published("single")).Kind);
        var (archive, run) = BuildAndRun("single");
        Assert.Equal(PublishedConsoleApps.ExpectedOutput, run);
        Assert.Equal("/app/hello", archive.Config.GetProperty("config").GetProperty("Entrypoint")[0].GetString());
    }

    [Fact]
    public void A_native_aot_program_runs_with_icu_and_openssl_it_names_and_without_its_debug_symbols()
    {
        Assert.True(File.Exists(Path.Combine(apps.Published("aot"), "hello.dbg")), "the publish output has the symbols, so leaving them out is tested");
        Assert.Equal(DotnetAppKind.NativeAot, DotnetApp.Read(apps.Published("aot")).Kind);
        var (archive, run) = BuildAndRun("aot");
        Assert.Equal(PublishedConsoleApps.ExpectedOutput, run);
        var files = archive.NonDirectories();
        Assert.Contains("/app/hello", files);
        Assert.DoesNotContain("/app/hello.dbg", files);
        Assert.DoesNotContain(files, f => f.Contains("libcoreclr", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains("/libicuuc.so.", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("/libssl.so.3", StringComparison.Ordinal));
    }

    [Fact]
    public void An_app_published_with_invariant_globalization_gets_no_icu_and_still_runs()
    {
        Assert.True(DotnetApp.Read(apps.Published("invariant")).Config.InvariantGlobalization);
        var (archive, run) = BuildAndRun("invariant");
        Assert.Equal(PublishedConsoleApps.ExpectedInvariantOutput, run);
        var files = archive.NonDirectories();
        Assert.DoesNotContain(files, f => Path.GetFileName(f).StartsWith("libicu", StringComparison.Ordinal));
        Assert.Contains("/usr/share/zoneinfo/Europe/Berlin", files);
    }

    [Fact]
    public void OpenSsl_false_leaves_openssl_and_the_ca_certificates_out_and_true_adds_both_whatever_the_app_references()
    {
        var published = apps.Published("fd"); // references cryptography and HttpClient
        var without = Assemble(new AddDotnetAppStep(published, "/app") { OpenSsl = false });
        Assert.DoesNotContain(without, f => f.Contains("/libssl.so", StringComparison.Ordinal) || f.Contains("/libcrypto.so", StringComparison.Ordinal));
        Assert.DoesNotContain("/etc/ssl/certs/ca-certificates.crt", without);
        var with = Assemble(new AddDotnetAppStep(published, "/app") { OpenSsl = true });
        Assert.Contains(with, f => f.EndsWith("/libssl.so.3", StringComparison.Ordinal));
        Assert.Contains("/etc/ssl/certs/ca-certificates.crt", with);
    }

    [Fact]
    public void Mirror_a_self_contained_arm64_app_runs_under_qemu_on_libc_icu_and_openssl_from_debian_arm64_packages()
    {
        using var dir = new TempDirectory();
        var copy = Run.Process("cp", ["-r", apps.Published("sc-arm64"), dir.Combine("publish")]);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        using var images = new EngineImages();
        var tag = images.Tag("sc-arm64");
        dir.Write("app.tiny.csx", $$"""
            From.Scratch()
                .Root(Debian.Release("bookworm").Install("libc6", "libgcc-s1", "libstdc++6", "libicu72", "libssl3", "tzdata", "ca-certificates"))
                .AddDotnetApp("publish")
                .Platforms(["linux/arm64"])
                .Tag("{{tag}}");
            """);
        var build = Run.Tinyrun(dir.Path, "app.tiny.csx", "--load", "--output", dir.Combine("app.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var files = ImageArchive.Read(dir.Combine("app.tar")).NonDirectories();
        Assert.Contains(files, f => f.StartsWith("/usr/lib/aarch64-linux-gnu/libicuuc.so.72", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("/ld-linux-aarch64.so.1", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.Contains("x86_64", StringComparison.Ordinal));
        var run = Run.Docker(["run", "--rm", "--pull", "never", "--network", "none", "--platform", "linux/arm64", tag]);
        Assert.True(run.ExitCode == 0, $"{run} (arm64 needs qemu-user-static and binfmt-support: scripts/install-test-deps.sh)");
        Assert.Equal(PublishedConsoleApps.ExpectedOutput, run.Stdout);
    }

    [Fact]
    public void Gssapi_is_added_with_its_libraries_only_when_asked()
    {
        var published = apps.Published("fd");
        Assert.DoesNotContain(Assemble(new AddDotnetAppStep(published, "/app")), f => f.Contains("libgssapi_krb5.so", StringComparison.Ordinal));
        var with = Assemble(new AddDotnetAppStep(published, "/app") { Gssapi = true });
        Assert.Contains(with, f => f.EndsWith("/libgssapi_krb5.so.2", StringComparison.Ordinal));
        Assert.Contains(with, f => f.EndsWith("/libkrb5.so.3", StringComparison.Ordinal)); // its closure
    }

    [Fact]
    public void The_recipes_own_entrypoint_environment_and_working_directory_win_over_the_apps()
    {
        var spec = new ImageSpec
        {
            Steps = [new AddDotnetAppStep(apps.Published("fd"), "/app")],
            Config = new ImageConfig { Entrypoint = ["/bin/other"], WorkingDir = "/srv", Env = [KeyValuePair.Create("DOTNET_ROOT", "/opt/dotnet")] },
        };
        var config = new TreeAssembler(new ResolverOptions()).Assemble(spec).Config;
        Assert.Equal(["/bin/other"], config.Entrypoint!.Value.ToArray());
        Assert.Equal("/srv", config.WorkingDir);
        Assert.Equal([KeyValuePair.Create("DOTNET_ROOT", "/opt/dotnet")], config.Env.ToArray());
    }

    [Fact]
    public void A_framework_dependent_image_has_only_the_framework_assemblies_the_app_reaches_and_deps_json_lists_only_those()
    {
        var tree = AssembleTree(new AddDotnetAppStep(apps.Published("fd"), "/app"));
        var netcore = Path.GetDirectoryName(tree.Paths.Single(p => p.StartsWith("/usr/share/dotnet/shared/Microsoft.NETCore.App/", StringComparison.Ordinal) && p.EndsWith("/System.Private.CoreLib.dll", StringComparison.Ordinal)))!;
        foreach (var reached in new[] { "System.Runtime.dll", "System.Console.dll", "System.Security.Cryptography.dll", "System.Net.Http.dll", "System.Diagnostics.StackTrace.dll", "System.Private.Xml.Linq.dll" })
            Assert.Contains($"{netcore}/{reached}", tree.Paths);
        foreach (var unreached in new[] { "Microsoft.VisualBasic.dll", "System.Data.Common.dll", "System.Xml.XmlSerializer.dll" })
            Assert.DoesNotContain($"{netcore}/{unreached}", tree.Paths);
        var deps = tree.Find($"{netcore}/Microsoft.NETCore.App.deps.json")!;
        Assert.NotNull(deps.Content); // rewritten, not the host's file
        var listed = DepsAssets(deps.Content);
        Assert.DoesNotContain("Microsoft.VisualBasic.dll", listed);
        Assert.Contains("System.Console.dll", listed);
        Assert.All(listed, asset => Assert.Contains($"{netcore}/{asset}", tree.Paths));

        var whole = AssembleTree(new AddDotnetAppStep(apps.Published("fd"), "/app") { WholeFramework = true });
        Assert.Contains($"{netcore}/Microsoft.VisualBasic.dll", whole.Paths);
        Assert.Contains("Microsoft.VisualBasic.dll", DepsAssets(whole.Find($"{netcore}/Microsoft.NETCore.App.deps.json")!.Content!));
    }

    [Fact]
    public void A_self_contained_image_has_only_the_runtime_pack_assemblies_the_app_reaches_and_its_deps_json_lists_only_those()
    {
        Assert.True(File.Exists(Path.Combine(apps.Published("sc"), "Microsoft.VisualBasic.dll")), "the publish output has it, so leaving it out is tested");
        var tree = AssembleTree(new AddDotnetAppStep(apps.Published("sc"), "/app"));
        Assert.Contains("/app/System.Private.CoreLib.dll", tree.Paths);
        Assert.Contains("/app/System.Console.dll", tree.Paths);
        Assert.Contains("/app/hello.dll", tree.Paths);
        Assert.DoesNotContain("/app/Microsoft.VisualBasic.dll", tree.Paths);
        var listed = DepsAssets(tree.Find("/app/hello.deps.json")!.Content!);
        Assert.Contains("hello.dll", listed);
        Assert.Contains("libcoreclr.so", listed);
        Assert.DoesNotContain("Microsoft.VisualBasic.dll", listed);
        Assert.All(listed, asset => Assert.Contains($"/app/{asset}", tree.Paths));

        var whole = AssembleTree(new AddDotnetAppStep(apps.Published("sc"), "/app") { WholeFramework = true });
        Assert.Contains("/app/Microsoft.VisualBasic.dll", whole.Paths);
        Assert.Contains("Microsoft.VisualBasic.dll", DepsAssets(whole.Find("/app/hello.deps.json")!.Content!));
    }

    [Fact]
    public void A_framework_dependent_app_with_a_trimmed_publish_keeps_what_the_trimmer_kept_and_runs_with_its_switches()
    {
        var trimmed = apps.Published("sc-trimmed");
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("fd-trimmed");
        dir.Write("app.tiny.csx", $"From.Scratch().AddDotnetApp(\"{apps.Published("fd")}\", trimmedPublish: \"{trimmed}\").Tag(\"{tag}\")");
        var build = Run.Tinyrun(dir.Path, "app.tiny.csx", "--load", "--output", dir.Combine("app.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var run = Run.Docker(["run", "--rm", "--pull", "never", "--network", "none", tag]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(PublishedConsoleApps.ExpectedOutput, run.Stdout);

        var archive = ImageArchive.Read(dir.Combine("app.tar"));
        string[] Framework(IEnumerable<string> files) => [.. files.Where(f => f.StartsWith("/usr/share/dotnet/shared/", StringComparison.Ordinal) && f.EndsWith(".dll", StringComparison.Ordinal)).Select(Path.GetFileName).OfType<string>()];
        var kept = Framework(archive.NonDirectories());
        var byReferences = Framework(Assemble(new AddDotnetAppStep(apps.Published("fd"), "/app")));
        var trimmerKept = Directory.EnumerateFiles(trimmed, "*.dll").Select(Path.GetFileName).ToHashSet();
        Assert.True(kept.Length < byReferences.Length, $"{kept.Length} framework assemblies with the trimmer's analysis, {byReferences.Length} by references");
        Assert.All(trimmerKept.Where(byReferences.Contains), name => Assert.Contains(name, kept));
        Assert.Contains("System.Runtime.dll", kept); // the app's references go through it, though the trimmer's copy does not
        Assert.DoesNotContain("System.Private.Xml.Linq.dll", kept); // named in a string of an assembly the app references, trimmed away
        var tree = AssembleTree(new AddDotnetAppStep(apps.Published("fd"), "/app") { TrimmedPublish = trimmed });
        Assert.Equal(kept.Order(StringComparer.Ordinal), Framework(tree.Paths).Order(StringComparer.Ordinal));
        using var config = System.Text.Json.JsonDocument.Parse(tree.Find("/app/hello.runtimeconfig.json")!.Content!);
        var switches = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(switches.GetProperty("System.StartupHookProvider.IsSupported").GetBoolean()); // the trimmer's switch
        Assert.Equal("Microsoft.NETCore.App", config.RootElement.GetProperty("runtimeOptions").GetProperty("framework").GetProperty("name").GetString()); // still framework-dependent
    }

    [Theory]
    [InlineData("sc", "fd", "AddDotnetApp: trimmedPublish is for a framework-dependent app, and '{0}' is self-contained: publish it with -p:PublishTrimmed=true itself")]
    [InlineData("fd", "fd", "AddDotnetApp: trimmedPublish '{1}' is not a self-contained publish of hello; publish it there: dotnet publish -r linux-x64 --self-contained -p:PublishTrimmed=true -o {1}")]
    [InlineData("fd", "missing", "AddDotnetApp: trimmedPublish '{1}' does not exist; publish the app there: dotnet publish -r linux-x64 --self-contained -p:PublishTrimmed=true -o {1}")]
    public void A_wrong_trimmed_publish_is_one_line_saying_what_to_publish(string variant, string trimmedVariant, string expected)
    {
        var published = apps.Published(variant);
        var trimmed = trimmedVariant == "missing" ? Path.Combine(published, "no-such-directory") : apps.Published(trimmedVariant);
        var error = Assert.Throws<TinyImageException>(() => Assemble(new AddDotnetAppStep(published, "/app") { TrimmedPublish = trimmed }));
        Assert.EndsWith(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, published, trimmed), error.Message);
        var both = Assert.Throws<TinyImageException>(() => Assemble(new AddDotnetAppStep(apps.Published("fd"), "/app") { TrimmedPublish = trimmed, WholeFramework = true }));
        Assert.Contains("give one of them", both.Message);
    }

    /// <summary>The runtime and native assets a deps.json lists (paths relative to its directory).</summary>
    private static List<string> DepsAssets(byte[] json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("targets").EnumerateObject()
            .SelectMany(t => t.Value.EnumerateObject())
            .SelectMany(l => new[] { "runtime", "native" }.SelectMany(g => l.Value.TryGetProperty(g, out var files) ? files.EnumerateObject().Select(f => f.Name) : []))];
    }

    private static HashSet<string> Assemble(AddDotnetAppStep step) => [.. AssembleTree(step).Paths];

    private static Core.FileSystem.FileTree AssembleTree(AddDotnetAppStep step) =>
        new TreeAssembler(new ResolverOptions()).Assemble(new ImageSpec { Steps = [step] }).Tree;

    [Fact]
    public async Task A_framework_dependent_app_fetches_https_from_a_local_server_it_trusts_through_a_test_ca()
    {
        using var dir = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=TinyImage test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));
        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(1), [1, 2, 3, 4]);
        using var server = issued.CopyWithPrivateKey(serverKey);
        dir.Write("ca.pem", ca.ExportCertificatePem());

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(server);
            var request = new byte[4096];
            var read = 0;
            while (!Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal) && read < request.Length)
                read += await tls.ReadAsync(request.AsMemory(read));
            await tls.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 16\r\nConnection: close\r\n\r\nhello over https"));
        });
        var (_, run) = BuildAndRun("fd", ".WithCaCertificates([\"ca.pem\"])", dir, "host", $"https://127.0.0.1:{port}/");
        Assert.Equal(PublishedConsoleApps.ExpectedOutput + "https: hello over https\n", run);
        await serving.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Builds the variant with AddDotnetApp, loads it into the engine and runs it (no network, image only).</summary>
    private (ImageArchive Archive, string Stdout) BuildAndRun(string variant) => BuildAndRun(variant, "", null, "none");

    /// <summary>Builds the variant with AddDotnetApp and <paramref name="more"/> calls, in <paramref name="recipeDirectory"/>, and runs it with <paramref name="arguments"/>.</summary>
    private (ImageArchive Archive, string Stdout) BuildAndRun(string variant, string more, TempDirectory? recipeDirectory, string network, params string[] arguments)
    {
        var published = apps.Published(variant);
        using var own = new TempDirectory();
        var dir = recipeDirectory ?? own;
        using var images = new EngineImages();
        var tag = images.Tag(variant);
        dir.Write("app.tiny.csx", $"From.Scratch().AddDotnetApp(\"{published}\"){more}.Tag(\"{tag}\")");
        var build = Run.Tinyrun(dir.Path, "app.tiny.csx", "--load", "--output", dir.Combine("app.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var run = Run.Docker(["run", "--rm", "--pull", "never", "--network", network, tag, .. arguments]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return (ImageArchive.Read(dir.Combine("app.tar")), run.Stdout);
    }
}
