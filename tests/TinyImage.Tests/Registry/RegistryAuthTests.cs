using TinyImage.Core;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: pushing to a registry that wants htpasswd Basic auth or Bearer tokens from a token endpoint.</summary>
public sealed class RegistryAuthTests
{
    [Theory]
    [InlineData(RegistryAuthMode.Basic)]
    [InlineData(RegistryAuthMode.Token)]
    public async Task Push_WithCredentials_Succeeds(RegistryAuthMode mode)
    {
        await using var registry = await LocalRegistry.StartAsync(mode);
        using var home = new TempDirectory();
        var options = registry.ClientOptions() with { AuthFile = "/nonexistent/auth.json", DockerConfigDirectory = registry.WriteDockerConfig(home.Combine("docker")) };
        using var client = new RegistryClient(options);
        var image = TestImage.Create(10, 3000);
        var reference = registry.Reference("secured/app:1");

        var (digest, _) = await image.PushAsync(client, reference);
        var mounted = await image.PushAsync(client, registry.Reference("secured/other:1"), mountFrom: "secured/app");

        Assert.Equal(digest, Skopeo.InspectDigest(registry, reference.ToString()));
        Assert.All(mounted.Blobs, r => Assert.Equal(BlobPushResult.Mounted, r));
        Assert.Equal(digest, (await client.GetManifestAsync(reference, CancellationToken.None)).Digest);
        if (mode == RegistryAuthMode.Token)
        {
            Assert.Equal(0, registry.Tokens!.Refused);
            // Tokens are cached per scope: one for pull, one for push, one for the mount (push + pull of the source), one for the pull of the other repository.
            Assert.InRange(options.Counters.TokenRequests, 2, 6);
        }
    }

    [Theory]
    [InlineData(RegistryAuthMode.Basic)]
    [InlineData(RegistryAuthMode.Token)]
    public async Task WrongPassword_IsOneLineNamingTheCredentialsTried(RegistryAuthMode mode)
    {
        await using var registry = await LocalRegistry.StartAsync(mode);
        var options = registry.ClientOptions(password: "wrong");
        using var client = new RegistryClient(options);
        var reference = registry.Reference("secured/app:1");

        var error = await Assert.ThrowsAsync<TinyImageException>(() => TestImage.Create(11, 100).PushAsync(client, reference));

        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains($"user '{LocalRegistry.Username}' from {options.AuthFile} (auths)", error.Message);
        Assert.EndsWith($"check the credentials or run: docker login {registry.Address}", error.Message);
        Assert.Contains(mode == RegistryAuthMode.Token ? "token service" : "(401 Unauthorized", error.Message);
        Assert.DoesNotContain("wrong", error.Message);
    }

    [Fact]
    public async Task NoCredentials_SaysWhereItLooked()
    {
        await using var registry = await LocalRegistry.StartAsync(RegistryAuthMode.Basic);
        var options = registry.ClientOptions() with { AuthFile = "/nonexistent/auth.json" };
        using var client = new RegistryClient(options);

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.ManifestExistsAsync(registry.Reference("secured/app:1"), CancellationToken.None));

        Assert.Equal($"registry {registry.Address} refused reading the manifest of {registry.Address}/secured/app:1 in secured/app (401 Unauthorized) "
            + $"without credentials (none for it in {options.DockerConfigDirectory}/config.json, /nonexistent/auth.json); check the credentials or run: docker login {registry.Address}", error.Message);
    }
}
