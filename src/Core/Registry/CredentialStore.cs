using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace TinyImage.Core.Registry;

/// <summary>
/// Finds the credentials for a registry as Docker and the containers tools keep them: the Docker config
/// (<c>credHelpers[registry]</c>, then <c>credsStore</c>, both through <c>docker-credential-NAME get</c>, then
/// <c>auths</c>), then the containers <c>auth.json</c> (<c>REGISTRY_AUTH_FILE</c>). Docker Hub's credentials are kept
/// under <c>https://index.docker.io/v1/</c>.
/// </summary>
internal sealed class CredentialStore(RegistryOptions options)
{
    /// <summary>The most read from a config file or a helper's answer.</summary>
    private const int MaxDocument = 1 << 20;

    private const string DockerHubKey = "https://index.docker.io/v1/";

    private static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The credentials for <paramref name="registry"/> (a repository's, for auth.json's scoped keys), or null.</summary>
    /// <param name="searched">Receives each place looked at, for the message when the registry refuses.</param>
    public RegistryCredential? Find(string registry, string repository, List<string> searched)
    {
        var dockerConfig = DockerConfigPath();
        if (dockerConfig is not null)
        {
            searched.Add(dockerConfig);
            var found = FromDockerConfig(dockerConfig, registry, searched);
            if (found is not null) return found;
        }
        var authFile = AuthFilePath();
        if (authFile is not null)
        {
            searched.Add(authFile);
            var document = ReadJson(authFile);
            if (document is not null)
                using (document)
                    return FromAuths(document.RootElement, registry, repository, $"{authFile} (auths)");
        }
        return null;
    }

    private string? DockerConfigPath()
    {
        var directory = options.DockerConfigDirectory ?? NonEmpty(options.Environment("DOCKER_CONFIG"));
        if (directory is null && NonEmpty(options.Environment("HOME")) is { } home) directory = Path.Combine(home, ".docker");
        return directory is null ? null : Path.Combine(directory, "config.json");
    }

    private string? AuthFilePath()
    {
        if (options.AuthFile is not null) return options.AuthFile;
        if (NonEmpty(options.Environment("REGISTRY_AUTH_FILE")) is { } file) return file;
        return NonEmpty(options.Environment("XDG_RUNTIME_DIR")) is { } runtime ? Path.Combine(runtime, "containers", "auth.json") : null;
    }

    private RegistryCredential? FromDockerConfig(string path, string registry, List<string> searched)
    {
        using var document = ReadJson(path);
        if (document is null) return null;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Damaged(path, "it is not a JSON object");
        string? helper = null;
        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
            foreach (var entry in helpers.EnumerateObject())
                if (SameRegistry(entry.Name, registry) && entry.Value.ValueKind == JsonValueKind.String) helper = entry.Value.GetString();
        if (helper is null && root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String) helper = store.GetString();
        if (!string.IsNullOrEmpty(helper))
        {
            searched.Add($"docker-credential-{helper}");
            var fromHelper = FromHelper(helper, registry);
            if (fromHelper is not null) return fromHelper;
        }
        return FromAuths(root, registry, null, $"{path} (auths)");
    }

    private static RegistryCredential? FromAuths(JsonElement root, string registry, string? repository, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
        RegistryCredential? best = null;
        var bestLength = -1;
        foreach (var entry in auths.EnumerateObject())
        {
            var length = MatchLength(entry.Name, registry, repository);
            if (length <= bestLength) continue;
            var credential = FromAuthEntry(entry.Value, source);
            if (credential is null) continue;
            (best, bestLength) = (credential, length);
        }
        return best;
    }

    /// <summary>How specifically <paramref name="key"/> names <paramref name="registry"/>/<paramref name="repository"/>; -1 when it does not.</summary>
    private static int MatchLength(string key, string registry, string? repository)
    {
        if (SameRegistry(key, registry)) return 0;
        // auth.json may scope a credential to a namespace or repository: "registry/team" or "registry/team/app".
        if (repository is null || key.Contains("://", StringComparison.Ordinal)) return -1;
        var slash = key.IndexOf('/');
        if (slash <= 0 || !SameRegistry(key[..slash], registry)) return -1;
        var path = key[(slash + 1)..].TrimEnd('/');
        return repository == path || repository.StartsWith(path + "/", StringComparison.Ordinal) ? path.Length : -1;
    }

    private static RegistryCredential? FromAuthEntry(JsonElement entry, string source)
    {
        if (entry.ValueKind != JsonValueKind.Object) return null;
        if (entry.TryGetProperty("identitytoken", out var identity) && identity.ValueKind == JsonValueKind.String && identity.GetString() is { Length: > 0 } token)
            return new RegistryCredential(RegistryCredential.IdentityTokenUser, token, source);
        if (entry.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                throw new TinyImageException($"{source}: an \"auth\" value is not base64; log in again with docker login");
            }
            var colon = decoded.IndexOf(':');
            if (colon <= 0) throw new TinyImageException($"{source}: an \"auth\" value is not base64 of USER:PASSWORD; log in again with docker login");
            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..], source);
        }
        if (entry.TryGetProperty("username", out var user) && user.ValueKind == JsonValueKind.String && user.GetString() is { Length: > 0 } username
            && entry.TryGetProperty("password", out var pass) && pass.ValueKind == JsonValueKind.String)
            return new RegistryCredential(username, pass.GetString()!, source);
        return null;
    }

    /// <summary>Runs <c>docker-credential-NAME get</c> with the server on stdin; null when it has nothing for it.</summary>
    private RegistryCredential? FromHelper(string name, string registry)
    {
        var program = "docker-credential-" + name;
        if (name.IndexOfAny(['/', '\0']) >= 0) throw new TinyImageException($"the Docker config names the credential helper '{Sources.ArchiveText.Printable(name)}', which is not a helper name");
        var path = FindOnPath(program)
            ?? throw new TinyImageException($"the Docker config uses the credential helper {program}, which is not on PATH; install it or remove it from {DockerConfigPath()}");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("get");
        foreach (var variable in new[] { "PATH", "HOME", "DOCKER_CONFIG", "XDG_RUNTIME_DIR" })
            if (options.Environment(variable) is { } value) start.Environment[variable] = value;
        using var process = Process.Start(start) ?? throw new TinyImageException($"cannot start the credential helper {path}");
        var stdout = ReadBoundedAsync(process.StandardOutput.BaseStream);
        var stderr = ReadBoundedAsync(process.StandardError.BaseStream);
        try
        {
            process.StandardInput.Write(registry == RegistryReference.DockerHub ? DockerHubKey : registry);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The helper exited without reading; its exit code says why.
        }
        if (!process.WaitForExit(HelperTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TinyImageException($"the credential helper {program} did not answer within {HelperTimeout.TotalSeconds:0} s");
        }
        var output = stdout.GetAwaiter().GetResult();
        var error = stderr.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            var message = Sources.ArchiveText.Printable((output.Length > 0 ? output : error).Trim());
            if (message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new TinyImageException($"the credential helper {program} failed (exit {process.ExitCode}): {Shorten(message)}");
        }
        try
        {
            using var answer = JsonDocument.Parse(output);
            var root = answer.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("Username", out var user) && user.ValueKind == JsonValueKind.String
                && root.TryGetProperty("Secret", out var secret) && secret.ValueKind == JsonValueKind.String
                && user.GetString() is { Length: > 0 } username && secret.GetString() is { Length: > 0 } password)
                return new RegistryCredential(username, password, $"credential helper {program}");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Reported below.
        }
        throw new TinyImageException($"the credential helper {program} answered something other than {{\"Username\":…,\"Secret\":…}}; check it with: echo {registry} | {program} get");
    }

    private string? FindOnPath(string program)
    {
        foreach (var directory in (options.Environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static async Task<string> ReadBoundedAsync(Stream stream)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
            if (buffer.Length < MaxDocument) buffer.Write(chunk, 0, (int)Math.Min(read, MaxDocument - buffer.Length));
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static JsonDocument? ReadJson(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            if (info.Length > MaxDocument) throw Damaged(path, $"it is larger than {MaxDocument >> 20} MiB");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot read the credentials file {path}: {Sources.ArchiveText.Printable(e.Message)}", e);
        }
        if (bytes.Length == 0) return null;
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw Damaged(path, $"it is not valid JSON ({Sources.ArchiveText.Printable(e.Message)})");
        }
    }

    /// <summary>Whether a config key (<c>host</c>, <c>https://host/v1/</c>, …) names <paramref name="registry"/>.</summary>
    internal static bool SameRegistry(string key, string registry) =>
        string.Equals(Normalize(key), Normalize(registry), StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        var slash = host.IndexOf('/');
        if (slash >= 0 && scheme >= 0) host = host[..slash];
        return host is "index.docker.io" or "registry-1.docker.io" ? RegistryReference.DockerHub : host;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static TinyImageException Damaged(string path, string what) =>
        new($"the credentials file {path} cannot be used: {what}; fix or remove it");
}
