using System.Text;
using System.Text.Json.Nodes;
using TinyImage.Core;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: credentials found where Docker and the containers tools keep them, used against a Basic-auth registry.</summary>
public sealed class RegistryCredentialTests
{
    private static JsonObject Auths(string key, JsonObject entry) => new() { ["auths"] = new JsonObject { [key] = entry } };

    private static string With(JsonObject config, string name, JsonNode value)
    {
        config[name] = value;
        return config.ToJsonString();
    }

    private static string Auth(string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalRegistry.Username}:{password}"));

    [Fact]
    public async Task DockerConfigAuths_FromDockerConfigVariable()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        using var home = new TempDirectory();
        home.Write("docker/config.json", Auths($"http://{registry.Address}/v1/", new JsonObject { ["auth"] = Auth(LocalRegistry.Password) }).ToJsonString());
        var env = new Dictionary<string, string> { ["DOCKER_CONFIG"] = home.Combine("docker"), ["HOME"] = home.Path };

        await PushWorksAsync(registry, new RegistryOptions { Environment = env.GetValueOrDefault });
    }

    [Fact]
    public async Task DockerConfigUsernameAndPassword_UnderHome()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        using var home = new TempDirectory();
        home.Write(".docker/config.json", Auths(registry.Address, new JsonObject { ["username"] = LocalRegistry.Username, ["password"] = LocalRegistry.Password }).ToJsonString());
        var env = new Dictionary<string, string> { ["HOME"] = home.Path };

        await PushWorksAsync(registry, new RegistryOptions { Environment = env.GetValueOrDefault });
    }

    [Fact]
    public async Task CredsStoreHelper_IsAskedWithTheRegistryOnStdin_AndWinsOverAuths()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        using var home = new TempDirectory();
        var asked = home.Combine("asked");
        var helper = home.Write("bin/docker-credential-tinytest", $$"""
            #!/bin/sh
            [ "$1" = get ] || exit 1
            cat > {{asked}}
            printf '{"ServerURL":"%s","Username":"{{LocalRegistry.Username}}","Secret":"{{LocalRegistry.Password}}"}' "$(cat {{asked}})"
            """);
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // auths holds a wrong password: the store is asked first, as Docker does.
        home.Write("docker/config.json", With(Auths(registry.Address, new JsonObject { ["auth"] = Auth("wrong") }), "credsStore", "tinytest"));
        var env = new Dictionary<string, string> { ["DOCKER_CONFIG"] = home.Combine("docker"), ["PATH"] = $"{home.Combine("bin")}:/usr/bin:/bin" };

        await PushWorksAsync(registry, new RegistryOptions { Environment = env.GetValueOrDefault });

        Assert.Equal(registry.Address, File.ReadAllText(asked));
    }

    [Fact]
    public async Task CredHelperForTheRegistry_ThatHasNothing_FallsBackToAuths()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        using var home = new TempDirectory();
        var helper = home.Write("bin/docker-credential-empty", "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n");
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        home.Write("docker/config.json", With(Auths(registry.Address, new JsonObject { ["auth"] = Auth(LocalRegistry.Password) }), "credHelpers", new JsonObject { [registry.Address] = "empty" }));
        var env = new Dictionary<string, string> { ["DOCKER_CONFIG"] = home.Combine("docker"), ["PATH"] = home.Combine("bin") };

        await PushWorksAsync(registry, new RegistryOptions { Environment = env.GetValueOrDefault });
    }

    [Fact]
    public async Task RegistryAuthFile_AfterADockerConfigWithout()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        using var home = new TempDirectory();
        home.Write("docker/config.json", """{"auths":{"other.example:5000":{"auth":"eDp5"}}}""");
        var authFile = home.Write("containers/auth.json", Auths($"{registry.Address}/team", new JsonObject { ["auth"] = Auth(LocalRegistry.Password) }).ToJsonString());
        var env = new Dictionary<string, string> { ["DOCKER_CONFIG"] = home.Combine("docker"), ["REGISTRY_AUTH_FILE"] = authFile };

        await PushWorksAsync(registry, new RegistryOptions { Environment = env.GetValueOrDefault }, "team/app:1");
        // The auth.json key is scoped to team/: another namespace gets no credentials.
        var error = await Assert.ThrowsAsync<TinyImageException>(() =>
            PushWorksAsync(registry, new RegistryOptions { Environment = env.GetValueOrDefault }, "other/app:1"));
        Assert.Contains("without credentials", error.Message);
    }

    [Fact]
    public async Task IdentityToken_IsTradedAtTheRealmForAccessTokens()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Token);
        using var home = new TempDirectory();
        home.Write("docker/config.json", Auths(registry.Address, new JsonObject { ["auth"] = Auth("wrong"), ["identitytoken"] = TokenIssuer.RefreshToken }).ToJsonString());

        await PushWorksAsync(registry, new RegistryOptions { Environment = _ => null, DockerConfigDirectory = home.Combine("docker") });

        Assert.True(registry.Tokens!.Refreshes >= 2, $"{registry.Tokens.Refreshes} refreshes");
        Assert.Equal(0, registry.Tokens.Refused);
    }

    [Fact]
    public void DockerHub_CredentialsAreFoundUnderTheIndexV1Key()
    {
        using var home = new TempDirectory();
        home.Write("docker/config.json", Auths("https://index.docker.io/v1/", new JsonObject { ["auth"] = Auth("hub") }).ToJsonString());
        var store = new CredentialStore(new RegistryOptions { Environment = _ => null, DockerConfigDirectory = home.Combine("docker"), AuthFile = home.Combine("none") });
        var reference = RegistryReference.Parse("ubuntu");

        var credential = store.Find(reference.Registry, reference.Repository, []);

        Assert.Equal(("tinytest", "hub"), (credential?.Username, credential?.Password));
        Assert.Null(store.Find("127.0.0.1:5000", "app", []));
    }

    [Fact]
    public void MissingHelper_IsOneLineNamingIt()
    {
        using var home = new TempDirectory();
        home.Write("docker/config.json", """{"credsStore":"nothere"}""");
        var store = new CredentialStore(new RegistryOptions { Environment = v => v == "PATH" ? home.Path : null, DockerConfigDirectory = home.Combine("docker") });

        var error = Assert.Throws<TinyImageException>(() => store.Find("127.0.0.1:5000", "app", []));

        Assert.Equal($"the Docker config uses the credential helper docker-credential-nothere, which is not on PATH; install it or remove it from {home.Combine("docker/config.json")}", error.Message);
    }

    private static async Task PushWorksAsync(LocalRegistry registry, RegistryOptions options, string name = "cred/app:1")
    {
        using var client = new RegistryClient(options with { InsecureHosts = new HashSet<string>() });
        var reference = registry.Reference(name);
        var (digest, _) = await TestImage.Create(20, 500).PushAsync(client, reference);
        Assert.Equal(digest, await client.HeadManifestAsync(reference, CancellationToken.None));
    }
}
