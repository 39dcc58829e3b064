using System.Text.Json;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Sources;

/// <summary>Indexes of images for several platforms (OCI image indexes, Docker manifest lists): telling one, and choosing from one.</summary>
public static class PlatformChoice
{
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>Whether a manifest of <paramref name="mediaType"/> (or, without one, with these bytes) is an index of manifests.</summary>
    public static bool IsIndex(string? mediaType, ReadOnlySpan<byte> bytes)
    {
        if (mediaType is MediaTypes.ImageIndex or DockerManifestList) return true;
        if (mediaType is MediaTypes.ImageManifest or DockerManifest) return false;
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray());
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("manifests", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The entry of <paramref name="platform"/> in an index: an exact match, else one whose variant is unsaid.</summary>
    /// <exception cref="TinyImageException">No entry is for <paramref name="platform"/>; the message lists those there are.</exception>
    public static T Pick<T>(IReadOnlyList<(T Manifest, Platform? Platform)> index, Platform platform, string source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(platform);
        var images = index.Where(m => IsImage(m.Platform)).ToList();
        var match = images.FirstOrDefault(m => m.Platform == platform);
        if (match.Platform is null)
            match = images.FirstOrDefault(m => m.Platform!.Os == platform.Os && m.Platform.Architecture == platform.Architecture
                                               && (platform.Variant is null || m.Platform.Variant is null));
        return match.Platform is not null ? match.Manifest
            : throw new TinyImageException($"{source} has no image for {platform} (it has {(images.Count == 0 ? "none with a platform" : string.Join(", ", images.Select(m => m.Platform)))}); pick one with --platform");
    }

    /// <summary>Whether an index entry of <paramref name="platform"/> is an image (not one of the <c>unknown/unknown</c> attestations BuildKit adds).</summary>
    public static bool IsImage(Platform? platform) => platform is { } p && p.Os != "unknown";
}
