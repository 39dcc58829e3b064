using System.Net;
using System.Net.Http.Headers;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

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
    public async Task RedirectedUpload_ToAnotherHost_IsRefused()
    {
        var handler = new ChallengingHandler(null) { Location = "http://elsewhere.example/upload/1" };
        using var client = new RegistryClient(new RegistryOptions { Environment = _ => null, Handler = handler });

        var error = await Assert.ThrowsAsync<TinyImageException>(() =>
            client.PushBlobAsync(RegistryReference.Parse("127.0.0.1:5000/app:1"), RegistryBlob.FromBytes(MediaTypes.LayerGzip, new byte[4]), CancellationToken.None));

        Assert.Contains("sent the upload of app to another host (elsewhere.example)", error.Message);
    }

    /// <summary>Answers 401 with a challenge (or, without one, 404 to HEADs and 202 with a Location to POSTs), recording what it was asked.</summary>
    private sealed class ChallengingHandler(string? challenge) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        public string? Location { get; init; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!.ToString());
            var response = new HttpResponseMessage(challenge is not null ? HttpStatusCode.Unauthorized
                : request.Method == HttpMethod.Post ? HttpStatusCode.Accepted : HttpStatusCode.NotFound);
            if (challenge is not null) response.Headers.WwwAuthenticate.ParseAdd(challenge);
            if (Location is not null) response.Headers.Location = new Uri(Location);
            return Task.FromResult(response);
        }
    }
}
