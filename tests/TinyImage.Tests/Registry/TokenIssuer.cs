using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace TinyImage.Tests.Registry;

/// <summary>
/// A token endpoint for a <see cref="LocalRegistry"/> in token mode, served on 127.0.0.1: checks the Basic credentials
/// it is asked with and answers <c>{"token": JWT}</c> granting every scope asked for. The JWT is ES256-signed with a
/// self-signed certificate that the registry trusts (its <c>rootcertbundle</c>) and carried in the <c>x5c</c> header, the
/// way distribution 2.8's registry/auth/token verifies it.
/// </summary>
public sealed class TokenIssuer : IDisposable
{
    public const string Service = "tinyimage-test-registry";
    public const string Issuer = "tinyimage-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _certificate;
    private readonly string _username;
    private readonly string _password;
    private readonly Task _serving;
    private int _requests;
    private int _refused;
    private int _refreshes;

    public TokenIssuer(string username, string password)
    {
        (_username, _password) = (username, password);
        var request = new CertificateRequest("CN=tinyimage test token issuer", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        Port = StartListening();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The realm the registry sends clients to.</summary>
    public string Realm => $"http://127.0.0.1:{Port}/token";

    /// <summary>The certificate as PEM, for the registry's rootcertbundle.</summary>
    public string CertificatePem => _certificate.ExportCertificatePem();

    /// <summary>Token requests answered (with a token or a refusal).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The identity (OAuth2 refresh) token this issuer accepts in a POST, as <c>docker login</c> stores it for some registries.</summary>
    public const string RefreshToken = "tinyimage-test-refresh-token";

    /// <summary>Tokens issued for an identity token (POSTs).</summary>
    public int Refreshes => Volatile.Read(ref _refreshes);

    /// <summary>Token requests refused for wrong credentials.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int StartListening()
    {
        for (var tries = 0; ; tries++)
        {
            var port = LoopbackPort.Free();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                return port;
            }
            catch (HttpListenerException) when (tries < 5)
            {
            }
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Answer(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        var response = context.Response;
        var form = context.Request.HttpMethod == "POST"
            ? System.Web.HttpUtility.ParseQueryString(new StreamReader(context.Request.InputStream).ReadToEnd())
            : null;
        var subject = form is null ? Authenticated(context.Request.Headers["Authorization"])
            : form["grant_type"] == "refresh_token" && form["refresh_token"] == RefreshToken ? _username : null;
        if (subject is null)
        {
            Interlocked.Increment(ref _refused);
            response.StatusCode = 401;
            Write(response, """{"errors":[{"code":"UNAUTHORIZED","message":"wrong user name or password"}]}""");
            return;
        }
        if (form is not null) Interlocked.Increment(ref _refreshes);
        var access = ((form ?? context.Request.QueryString).GetValues("scope") ?? [])
            .SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(Access).Where(a => a is not null).ToList();
        var token = Sign(subject, access!);
        Write(response, JsonSerializer.Serialize(new Dictionary<string, object> { ["token"] = token, ["expires_in"] = 300 }));
    }

    /// <summary>The user when the Basic credentials are right; null otherwise (anonymous requests are refused too).</summary>
    private string? Authenticated(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.Ordinal)) return null;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
        }
        catch (FormatException)
        {
            return null;
        }
        return decoded == $"{_username}:{_password}" ? _username : null;
    }

    /// <summary><c>repository:team/app:pull,push</c> as the token's access claim.</summary>
    private static Dictionary<string, object>? Access(string scope)
    {
        var first = scope.IndexOf(':');
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last <= first) return null;
        return new Dictionary<string, object>
        {
            ["type"] = scope[..first],
            ["name"] = scope[(first + 1)..last],
            ["actions"] = scope[(last + 1)..].Split(','),
        };
    }

    private string Sign(string subject, IReadOnlyList<Dictionary<string, object>> access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new Dictionary<string, object> { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new[] { Convert.ToBase64String(_certificate.RawData) } };
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["sub"] = subject, ["aud"] = Service,
            ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signed = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        // IEEE P1363 (r || s), the JWS form of an ES256 signature.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256);
        return $"{signed}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Write(HttpListenerResponse response, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _certificate.Dispose();
        _key.Dispose();
    }
}
