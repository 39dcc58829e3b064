using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace TinyImage.Core.Registry;

/// <summary>
/// Authorizes requests to registries: nothing until a registry answers 401, then what its challenge asks for: Basic
/// with the stored credentials, or a Bearer token from the challenge's realm (asked with the credentials as Basic when
/// there are any; anonymous otherwise), cached per registry and scope until it expires.
/// </summary>
internal sealed class RegistryAuthenticator(
    RegistryOptions options,
    Func<Func<HttpRequestMessage>, string, CancellationToken, Task<HttpResponseMessage>> send)
{
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);

    private readonly CredentialStore _credentials = new(options);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Registry, string Scopes), (string Token, DateTimeOffset Expires)> _tokens = [];
    private readonly Dictionary<(string Registry, string Repository), (RegistryCredential? Credential, List<string> Searched)> _found = [];

    /// <summary>The Authorization for a request to <paramref name="registry"/> needing <paramref name="scopes"/>; null before any challenge.</summary>
    public async Task<AuthenticationHeaderValue?> HeaderAsync(string registry, string repository, string scopes, CancellationToken cancellationToken)
    {
        AuthChallenge? challenge;
        lock (_lock)
        {
            if (!_challenges.TryGetValue(registry, out challenge)) return null;
            if (challenge.IsBearer && _tokens.TryGetValue((registry, scopes), out var cached) && cached.Expires > DateTimeOffset.UtcNow)
                return new AuthenticationHeaderValue("Bearer", cached.Token);
        }
        var credential = Credential(registry, repository);
        if (challenge.IsBasic)
            return credential is null ? null : Basic(credential);
        var token = await FetchTokenAsync(challenge, credential, registry, repository, scopes, cancellationToken).ConfigureAwait(false);
        lock (_lock) _tokens[(registry, scopes)] = (token.Token, DateTimeOffset.UtcNow + token.ExpiresIn - ExpiryMargin);
        return new AuthenticationHeaderValue("Bearer", token.Token);
    }

    /// <summary>Takes in a 401's challenge; true when sending the request again may now succeed (a new or renewed authorization).</summary>
    public bool Challenged(HttpResponseMessage response, string registry, string scopes)
    {
        var challenge = AuthChallenge.From(response);
        if (challenge is null) return false;
        lock (_lock)
        {
            var known = _challenges.TryGetValue(registry, out var previous);
            _challenges[registry] = challenge;
            if (challenge.IsBearer) return _tokens.Remove((registry, scopes)) || !known || !previous!.IsBearer;
            return !known || !previous!.IsBasic;
        }
    }

    /// <summary>The credentials tried for <paramref name="registry"/>, for an error message: whose and from where, or where none were found.</summary>
    public string Tried(string registry, string repository)
    {
        var credential = Credential(registry, repository);
        if (credential is not null) return $"with {credential}";
        List<string> searched;
        lock (_lock) searched = _found[(registry, repository)].Searched;
        return searched.Count == 0 ? "without credentials (no Docker config or auth.json found)" : $"without credentials (none for it in {string.Join(", ", searched)})";
    }

    private RegistryCredential? Credential(string registry, string repository)
    {
        lock (_lock)
            if (_found.TryGetValue((registry, repository), out var found)) return found.Credential;
        var searched = new List<string>();
        var credential = _credentials.Find(registry, repository, searched);
        lock (_lock) _found[(registry, repository)] = (credential, searched);
        return credential;
    }

    private async Task<(string Token, TimeSpan ExpiresIn)> FetchTokenAsync(AuthChallenge challenge, RegistryCredential? credential,
        string registry, string repository, string scopes, CancellationToken cancellationToken)
    {
        var realm = challenge.Parameter("realm");
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || (realmUri.Scheme != Uri.UriSchemeHttps && realmUri.Scheme != Uri.UriSchemeHttp))
            throw new TinyImageException($"registry {registry} asks for a token from realm '{Sources.ArchiveText.Printable(realm ?? "")}', which is not an http(s) address; the registry is misconfigured");
        if (realmUri.Scheme == Uri.UriSchemeHttp && !RegistryAddress.IsPlainHttpAllowed(realmUri.Authority, options))
            throw new TinyImageException($"registry {registry} asks for a token over plain HTTP from {realmUri.Authority}; give --insecure-registry {realmUri.Authority} if that host is trusted");
        var query = new StringBuilder(realmUri.Query.Length > 1 ? realmUri.Query[1..] + "&" : "");
        if (challenge.Parameter("service") is { Length: > 0 } service) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        var allScopes = scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (challenge.Parameter("scope") is { Length: > 0 } asked && !allScopes.Contains(asked)) allScopes.Add(asked);
        foreach (var scope in allScopes) query.Append("scope=").Append(Uri.EscapeDataString(scope)).Append('&');
        if (credential is { IsIdentityToken: false }) query.Append("account=").Append(Uri.EscapeDataString(credential.Username)).Append('&');
        var uri = new UriBuilder(realmUri) { Query = query.ToString().TrimEnd('&') }.Uri;

        options.Counters.TokenRequest();
        using var response = await send(() =>
        {
            if (credential is { IsIdentityToken: true })
            {
                // An identity token is an OAuth2 refresh token: POSTed to the realm (distribution docs/spec/auth/oauth.md).
                var form = new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = credential.Password,
                    ["service"] = challenge.Parameter("service") ?? "",
                    ["scope"] = string.Join(' ', allScopes),
                    ["client_id"] = "tinyimage",
                };
                return new HttpRequestMessage(HttpMethod.Post, realmUri) { Content = new FormUrlEncodedContent(form) };
            }
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (credential is not null) request.Headers.Authorization = Basic(credential);
            return request;
        }, $"asking {realmUri.GetLeftPart(UriPartial.Path)} for a token", cancellationToken).ConfigureAwait(false);
        var body = await RegistryAddress.ReadBoundedAsync(response.Content, RegistryAnswers.MaxTokenAnswer, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new TinyImageException($"the token service of registry {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) refused {repository} {Tried(registry, repository)} ({(int)response.StatusCode}); check the credentials or run: docker login {registry}");
        if (!response.IsSuccessStatusCode)
            throw new TinyImageException($"the token service of registry {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) answered {(int)response.StatusCode} {response.ReasonPhrase}{Detail(body)} for {repository}; try again later");
        return RegistryAnswers.Token(body)
            ?? throw new TinyImageException($"the token service of registry {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) answered without a usable token; the registry's token service is misconfigured");
    }

    private static string Detail(byte[] body) => RegistryAnswers.Error(body) is { } error ? $" ({error})" : "";

    private static AuthenticationHeaderValue Basic(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
}
