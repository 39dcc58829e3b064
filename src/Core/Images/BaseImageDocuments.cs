using System.Collections.Immutable;
using System.Text.Json;
using TinyImage.Core.Oci;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Images;

/// <summary>
/// Reads the documents of a base image from an untrusted source (a registry, a layout, an archive): an index's
/// manifests and platforms, a manifest's config and layers, and a config's run settings, platform and diff_ids. OCI
/// and Docker v2 media types are both accepted. Every value is checked for the shape used; damage is one line naming
/// the source and the member.
/// </summary>
public static class BaseImageDocuments
{
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>The manifests an index lists, with their platforms (null when an entry names none).</summary>
    public static IReadOnlyList<(Descriptor Manifest, Platform? Platform)> ReadIndex(ReadOnlyMemory<byte> bytes, string source)
    {
        using var document = Parse(bytes, source, "index");
        var result = new List<(Descriptor, Platform?)>();
        foreach (var item in ArchiveJson.Root(document.RootElement, source, "index").Property("manifests").Items())
        {
            var descriptor = ReadDescriptor(item);
            var platform = item.Property("platform").Expect(JsonValueKind.Object, orNull: true);
            result.Add((descriptor, platform.IsMissingOrNull ? null
                : new Platform(platform.Property("os").String(), platform.Property("architecture").String(), platform.Property("variant").OptionalString())));
        }
        return result;
    }

    /// <summary>A manifest's config and layers (lowest first).</summary>
    public static (Descriptor Config, IReadOnlyList<Descriptor> Layers) ReadManifest(ReadOnlyMemory<byte> bytes, string source)
    {
        using var document = Parse(bytes, source, "manifest");
        var root = ArchiveJson.Root(document.RootElement, source, "manifest").Expect(JsonValueKind.Object);
        if (root.Property("schemaVersion").WholeNumber() != 2)
            throw root.Property("schemaVersion").Error("2 (schema 1 manifests are not supported)");
        var layers = root.Property("layers").Items().Select(ReadDescriptor).ToList();
        foreach (var layer in layers)
            if (!IsLayerMediaType(layer.MediaType))
                throw new TinyImageException($"{source}: layer {layer.Digest} has media type {ArchiveJson.Display(layer.MediaType)}, not a tar layer (plain, gzip or zstd)");
        return (ReadDescriptor(root.Property("config")), layers);
    }

    /// <summary>Whether <paramref name="mediaType"/> is a layer this tool can reuse: an OCI or Docker tar, plain, gzip or zstd.</summary>
    public static bool IsLayerMediaType(string mediaType) =>
        mediaType is MediaTypes.LayerTar or MediaTypes.LayerGzip or MediaTypes.LayerZstd or DockerLayerGzip
            or "application/vnd.docker.image.rootfs.diff.tar" or "application/vnd.docker.image.rootfs.diff.tar.zstd";

    /// <summary>A base config: its run settings (as a recipe would set them), platform and diff_ids.</summary>
    public static (ImageConfig Config, Platform Platform, IReadOnlyList<Digest> DiffIds) ReadConfig(ReadOnlyMemory<byte> bytes, string source)
    {
        using var document = Parse(bytes, source, "config");
        var root = ArchiveJson.Root(document.RootElement, source, "config").Expect(JsonValueKind.Object);
        var platform = new Platform(root.Property("os").String(), root.Property("architecture").String(), root.Property("variant").OptionalString());
        var rootfs = root.Property("rootfs");
        var diffIds = rootfs.Property("diff_ids").Items().Select(ReadDigest).ToList();
        var config = new ImageConfig { Os = platform.Os };
        var run = root.Property("config").Expect(JsonValueKind.Object, orNull: true);
        if (run.IsMissingOrNull) return (config, platform, diffIds);
        ImmutableArray<string>? Strings(string name) =>
            run.Property(name).Expect(JsonValueKind.Array, orNull: true) is { IsMissingOrNull: false } array ? [.. array.Items().Select(i => i.String())] : null;
        var env = (Strings("Env") ?? []).Select(e => e.IndexOf('=') is var eq and > 0 ? new KeyValuePair<string, string>(e[..eq], e[(eq + 1)..]) : new(e, "")).ToImmutableArray();
        config = config with
        {
            Entrypoint = Strings("Entrypoint"),
            Cmd = Strings("Cmd"),
            Env = env,
            WorkingDir = run.Property("WorkingDir").OptionalString() is { Length: > 0 } dir ? dir : null,
            User = run.Property("User").OptionalString() is { Length: > 0 } user ? user : null,
            ExposedPorts = run.Property("ExposedPorts").Expect(JsonValueKind.Object, orNull: true) is { IsMissingOrNull: false } ports
                ? ImmutableSortedSet.CreateRange(StringComparer.Ordinal, ports.Properties().Select(p => p.Name)) : config.ExposedPorts,
            Labels = run.Property("Labels").Expect(JsonValueKind.Object, orNull: true) is { IsMissingOrNull: false } labels
                ? ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, labels.Properties().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.String())))
                : config.Labels,
        };
        return (config, platform, diffIds);
    }

    /// <summary>
    /// The run settings of an image built on <paramref name="baseConfig"/>: the recipe's settings win; environment
    /// variables and labels are merged by name; ports are added; a recipe's entrypoint clears the base's command, as a
    /// Dockerfile's ENTRYPOINT does.
    /// </summary>
    public static ImageConfig Inherit(ImageConfig baseConfig, ImageConfig recipe)
    {
        var env = baseConfig.Env.ToList();
        foreach (var (name, value) in recipe.Env)
        {
            var at = env.FindIndex(e => e.Key == name);
            if (at >= 0) env[at] = new(name, value);
            else env.Add(new(name, value));
        }
        return recipe with
        {
            Entrypoint = recipe.Entrypoint ?? baseConfig.Entrypoint,
            Cmd = recipe.Cmd ?? (recipe.Entrypoint is null ? baseConfig.Cmd : null),
            Env = [.. env],
            WorkingDir = recipe.WorkingDir ?? baseConfig.WorkingDir,
            User = recipe.User ?? baseConfig.User,
            ExposedPorts = baseConfig.ExposedPorts.Union(recipe.ExposedPorts),
            Labels = baseConfig.Labels.SetItems(recipe.Labels),
        };
    }

    private static Descriptor ReadDescriptor(ArchiveJson item)
    {
        var size = item.Property("size").WholeNumber();
        if (size < 0) throw item.Property("size").Error("a size of at least 0");
        var mediaType = item.Property("mediaType").String();
        if (mediaType.Length == 0) throw item.Property("mediaType").Error("a media type");
        return new Descriptor(mediaType, ReadDigest(item.Property("digest")), size);
    }

    private static Digest ReadDigest(ArchiveJson value) =>
        Digest.TryParse(value.String(), out var digest) ? digest : throw value.Error("a digest sha256:<64 hex digits>");

    private static JsonDocument Parse(ReadOnlyMemory<byte> bytes, string source, string what)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"{source}: the {what} is not valid JSON ({ArchiveText.Printable(e.Message)}); the image is damaged", e);
        }
    }
}
