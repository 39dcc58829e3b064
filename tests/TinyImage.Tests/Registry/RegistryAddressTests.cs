using System.Net;
using System.Net.Http.Headers;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: plain HTTP only for loopback registries and hosts given as insecure; challenges read as registries write them.</summary>
public sealed class RegistryAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:5000/app", "http://127.0.0.1:5000/v2/")]
    [InlineData("127.0.0.53/app", "http://127.0.0.53/v2/")]
    [InlineData("localhost:5000/app", "http://localhost:5000/v2/")]
    [InlineData("[::1]:5000/app", "http://[::1]:5000/v2/")]
    [InlineData("registry.example:5000/app", "https://registry.example:5000/v2/")]
    [InlineData("10.0.0.1:5000/app", "https://10.0.0.1:5000/v2/")]
    [InlineData("insecure.example/app", "http://insecure.example/v2/")]
    [InlineData("ubuntu", "https://registry-1.docker.io/v2/")]
    public void PlainHttp_OnlyForLoopbackAndInsecureHosts(string name, string expected)
    {
        var options = new RegistryOptions { InsecureHosts = new HashSet<string>(["insecure.example"], StringComparer.OrdinalIgnoreCase) };

        Assert.Equal(expected, RegistryAddress.Base(RegistryReference.Parse(name), options).ToString());
    }

    [Fact]
    public void Challenge_ReadsQuotedParameters()
    {
        var header = new AuthenticationHeaderValue("Bearer",
            "realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:team/app:pull,push\",error=\"insufficient_scope\", x=\"a\\\"b\"");

        var challenge = AuthChallenge.Parse(header);

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.example/token", challenge.Parameter("realm"));
        Assert.Equal("registry.example", challenge.Parameter("service"));
        Assert.Equal("repository:team/app:pull,push", challenge.Parameter("scope"));
        Assert.Equal("a\"b", challenge.Parameter("x"));
        Assert.True(AuthChallenge.Parse(new AuthenticationHeaderValue("basic", "realm=r")).IsBasic);
    }

    [Fact]
    public async Task TokenRealmOverPlainHttp_ToAnotherHost_IsRefusedBeforeCredentialsAreSent()
    {
        var handler = new ChallengingHandler("Bearer realm=\"http://auth.example/token\",service=\"s\"");
        using var client = new RegistryClient(new RegistryOptions { Environment = _ => null, Handler = handler });

        var error = await Assert.ThrowsAsync<TinyImageException>(() =>
            client.ManifestExistsAsync(RegistryReference.Parse("127.0.0.1:5000/app:1"), CancellationToken.None));

        Assert.Equal("registry 127.0.0.1:5000 asks for a token over plain HTTP from auth.example; give --insecure-registry auth.example if that host is trusted", error.Message);
        Assert.Equal(["http://127.0.0.1:5000/v2/app/manifests/1"], handler.Requests);
    }

    [Fact]
    public async Task UploadSentToAnotherHostOverPlainHttp_IsRefused()
    {
        var handler = new ChallengingHandler(null) { Location = "http://elsewhere.example/upload/1" };
        using var client = new RegistryClient(new RegistryOptions { Environment = _ => null, Handler = handler });

        var error = await Assert.ThrowsAsync<TinyImageException>(() =>
            client.PushBlobAsync(RegistryReference.Parse("127.0.0.1:5000/app:1"), RegistryBlob.FromBytes(MediaTypes.LayerGzip, new byte[4]), CancellationToken.None));

        Assert.Equal("registry 127.0.0.1:5000 sent the upload of app to http://elsewhere.example, which is not HTTPS; give --insecure-registry elsewhere.example if that host is trusted", error.Message);
    }

    [Fact]
    public async Task UploadSentToAnotherHost_GetsNoCredentials()
    {
        using var home = new TempDirectory();
        home.Write("config.json", "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"dTpw\"}}}");
        var handler = new ChallengingHandler("Basic realm=r") { Location = "https://storage.example/upload/1", ChallengeOnlyUnauthorized = true };
        using var client = new RegistryClient(new RegistryOptions { Environment = _ => null, DockerConfigDirectory = home.Path, Handler = handler });

        await client.PushBlobAsync(RegistryReference.Parse("127.0.0.1:5000/app:1"), RegistryBlob.FromBytes(MediaTypes.LayerGzip, new byte[4]), CancellationToken.None);

        Assert.Equal(["HEAD 127.0.0.1:5000 -", "HEAD 127.0.0.1:5000 Basic", "POST 127.0.0.1:5000 Basic", "PUT storage.example -"], handler.Seen);
    }

    /// <summary>
    /// Answers 401 with a challenge (with <see cref="ChallengeOnlyUnauthorized"/>, only to requests to 127.0.0.1:5000
    /// without an Authorization), else 404 to HEADs, 202 with a Location to POSTs and 201 to PUTs; records what it was asked.
    /// </summary>
    private sealed class ChallengingHandler(string? challenge) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        /// <summary>Method, host and authorization scheme (or -) of each request.</summary>
        public List<string> Seen { get; } = [];

        public string? Location { get; init; }

        public bool ChallengeOnlyUnauthorized { get; init; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!.ToString());
            Seen.Add($"{request.Method} {request.RequestUri.Authority} {request.Headers.Authorization?.Scheme ?? "-"}");
            var challenged = challenge is not null
                && !(ChallengeOnlyUnauthorized && (request.Headers.Authorization is not null || request.RequestUri.Authority != "127.0.0.1:5000"));
            var response = new HttpResponseMessage(challenged ? HttpStatusCode.Unauthorized
                : request.Method == HttpMethod.Post ? HttpStatusCode.Accepted : request.Method == HttpMethod.Put ? HttpStatusCode.Created : HttpStatusCode.NotFound);
            if (challenged) response.Headers.WwwAuthenticate.ParseAdd(challenge!);
            if (Location is not null) response.Headers.Location = new Uri(Location);
            return Task.FromResult(response);
        }
    }
}
