using System.Diagnostics;
using System.Text;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>
/// Debian's <c>docker-registry</c> (distribution 2.8) serving on 127.0.0.1 on a free port, with its own temporary
/// storage, without auth, with htpasswd Basic auth, or with Bearer tokens from a <see cref="TokenIssuer"/>. It can be
/// stopped and started again on the same port and storage (its http secret is fixed, so upload sessions survive).
/// Dispose stops it and deletes its storage.
/// </summary>
/// <example><code>
/// await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
/// var reference = registry.Reference("team/app:1");   // 127.0.0.1:PORT/team/app:1
/// using var client = new RegistryClient(registry.ClientOptions());
/// </code></example>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string Username = "tinytest";
    public const string Password = "s3cret-for-tests";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();
    private readonly StringBuilder _output = new();
    private Process? _process;

    private LocalRegistry(RegistryAuthMode auth) => Auth = auth;

    public RegistryAuthMode Auth { get; }

    public int Port { get; private set; }

    /// <summary><c>127.0.0.1:PORT</c>: the registry part of image names.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Where the registry keeps blobs and manifests.</summary>
    public string StorageDirectory => _directory.Combine("storage");

    /// <summary>The token endpoint in <see cref="RegistryAuthMode.Token"/> mode.</summary>
    public TokenIssuer? Tokens { get; private set; }

    /// <summary>The registry's log so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts a registry with <paramref name="auth"/> and waits until it answers.</summary>
    public static async Task<LocalRegistry> StartAsync(RegistryAuthMode auth = RegistryAuthMode.None)
    {
        Assert.True(File.Exists("/usr/bin/docker-registry"), "docker-registry is not installed; run scripts/install-test-deps.sh");
        var registry = new LocalRegistry(auth);
        try
        {
            if (auth == RegistryAuthMode.Token) registry.Tokens = new TokenIssuer(Username, Password);
            for (var tries = 1; ; tries++)
            {
                registry.Port = LoopbackPort.Free();
                registry.WriteConfig();
                if (await registry.TryStartAsync()) return registry;
                Assert.True(tries < 5, $"docker-registry did not start on {registry.Address}:\n{registry.Output}");
            }
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>127.0.0.1:PORT/<paramref name="name"/></c> as a reference (<c>team/app:1</c>, <c>app@sha256:…</c>).</summary>
    public RegistryReference Reference(string name) => RegistryReference.Parse($"{Address}/{name}");

    /// <summary>Client options with short retry delays and, with auth, an auth.json holding this registry's credentials.</summary>
    public RegistryOptions ClientOptions(string? password = null) => new()
    {
        Environment = _ => null,
        DockerConfigDirectory = _directory.Combine("no-docker-config"),
        AuthFile = Auth == RegistryAuthMode.None ? _directory.Combine("no-auth.json") : WriteAuthFile(password ?? Password),
        Retry = new RegistryRetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
    };

    /// <summary>
    /// Writes <paramref name="directory"/>/config.json holding this registry's credentials under <c>auths</c>, as
    /// <c>docker login</c> would; returns the directory, for <c>DOCKER_CONFIG</c> or <see cref="RegistryOptions.DockerConfigDirectory"/>.
    /// </summary>
    public string WriteDockerConfig(string directory, string? password = null)
    {
        Directory.CreateDirectory(directory);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{password ?? Password}"));
        File.WriteAllText(Path.Combine(directory, "config.json"), "{\"auths\":{\"" + Address + "\":{\"auth\":\"" + auth + "\"}}}");
        return directory;
    }

    /// <summary>The <c>--creds</c> argument skopeo needs for this registry (none without auth).</summary>
    public string[] SkopeoCredentials => Auth == RegistryAuthMode.None ? [] : ["--creds", $"{Username}:{Password}"];

    /// <summary>Kills the registry process (as a crash would) and waits for it to be gone.</summary>
    public void Stop()
    {
        if (_process is null) return;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had exited.
        }
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts the registry again on the same port, storage and secret.</summary>
    public async Task RestartAsync()
    {
        Stop();
        Assert.True(await TryStartAsync(), $"docker-registry did not start again on {Address}:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        Tokens?.Dispose();
        _directory.Dispose();
        await Task.CompletedTask;
    }

    /// <summary>A containers auth.json: the same <c>auths</c> document as Docker's config.json.</summary>
    private string WriteAuthFile(string password)
    {
        var directory = WriteDockerConfig(_directory.Combine($"auth-{Guid.NewGuid():N}"), password);
        return Path.Combine(directory, "config.json");
    }

    private void WriteConfig()
    {
        var auth = "";
        if (Auth == RegistryAuthMode.Basic)
        {
            var htpasswd = Run.Process("htpasswd", ["-Bbn", Username, Password]);
            Assert.True(htpasswd.ExitCode == 0, $"htpasswd (apache2-utils) failed; run scripts/install-test-deps.sh\n{htpasswd}");
            var file = _directory.Write("htpasswd", htpasswd.Stdout.Trim() + "\n");
            auth = $"""
                auth:
                  htpasswd:
                    realm: tinyimage-test
                    path: {file}
                """;
        }
        else if (Auth == RegistryAuthMode.Token)
        {
            var bundle = _directory.Write("token-root.pem", Tokens!.CertificatePem);
            auth = $"""
                auth:
                  token:
                    realm: {Tokens.Realm}
                    service: {TokenIssuer.Service}
                    issuer: {TokenIssuer.Issuer}
                    rootcertbundle: {bundle}
                """;
        }
        _directory.Write("config.yml", $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {StorageDirectory}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
              secret: tinyimage-test-secret-not-random
            {auth}
            """);
    }

    /// <summary>Starts the process and waits until <c>/v2/</c> answers; false when it exits first (the port was taken).</summary>
    private async Task<bool> TryStartAsync()
    {
        var start = new ProcessStartInfo("/usr/bin/docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(_directory.Combine("config.yml"));
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                process.Dispose();
                _process = null;
                return false;
            }
            try
            {
                using var response = await http.GetAsync($"http://{Address}/v2/");
                return true; // 200 without auth, 401 with: either way it serves
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(50);
            }
        }
        Stop();
        return false;
    }
}
