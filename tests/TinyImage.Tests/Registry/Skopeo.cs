using System.Text.Json;
using TinyImage.Core.Oci;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>skopeo, an independent registry client, reading what our client pushed.</summary>
public static class Skopeo
{
    /// <summary>The manifest digest skopeo reads for <paramref name="reference"/> (<c>skopeo inspect</c>, which also reads the config).</summary>
    public static Digest InspectDigest(LocalRegistry registry, string reference)
    {
        var result = Run.Process("skopeo", ["inspect", "--tls-verify=false", .. registry.SkopeoCredentials, $"docker://{reference}"], timeout: TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"skopeo inspect {reference}: {result}\nregistry log:\n{registry.Output}");
        using var json = JsonDocument.Parse(result.Stdout);
        return Digest.Parse(json.RootElement.GetProperty("Digest").GetString()!);
    }

    /// <summary>The manifest bytes skopeo reads (<c>skopeo inspect --raw</c>).</summary>
    public static string InspectRaw(LocalRegistry registry, string reference)
    {
        var result = Run.Process("skopeo", ["inspect", "--raw", "--tls-verify=false", .. registry.SkopeoCredentials, $"docker://{reference}"], timeout: TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"skopeo inspect --raw {reference}: {result}");
        return result.Stdout;
    }
}
