using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>
/// Builds the JSON documents of an image as exact bytes: compact UTF-8, fixed property order, nulls omitted.
/// The same inputs always give the same bytes, hence the same digests.
/// </summary>
public static class ImageDocuments
{
    /// <summary>The annotation an image layout uses for the tag (<c>latest</c>).</summary>
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>The annotation containerd and Docker 25+ use for the full name (<c>docker.io/library/hello:latest</c>).</summary>
    public const string ContainerdNameAnnotation = "io.containerd.image.name";

    /// <summary>The image config: platform, run settings, <c>created</c> and the layers' diff_ids (base first).</summary>
    /// <param name="architecture">The resolved OCI architecture, e.g. <c>amd64</c>; <see cref="ImageConfig.Architecture"/> is not consulted.</param>
    public static byte[] Config(ImageConfig config, string architecture, IReadOnlyList<Digest> diffIds, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentNullException.ThrowIfNull(diffIds);
        var document = new ImageConfigDocument
        {
            Created = FormatTime(created),
            Architecture = architecture,
            Os = config.Os,
            Config = new ContainerConfigDocument
            {
                User = config.User,
                ExposedPorts = config.ExposedPorts.IsEmpty
                    ? null
                    : config.ExposedPorts.ToImmutableSortedDictionary(p => p, _ => EmptyObject.Instance, StringComparer.Ordinal),
                Env = config.Env.IsEmpty ? null : config.Env.Select(kv => $"{kv.Key}={kv.Value}").ToImmutableArray(),
                Entrypoint = config.Entrypoint,
                Cmd = config.Cmd,
                WorkingDir = config.WorkingDir,
                Labels = config.Labels.IsEmpty ? null : config.Labels.WithComparers(StringComparer.Ordinal, StringComparer.Ordinal),
            },
            RootFs = new RootFsDocument { DiffIds = [.. diffIds] },
        };
        return Serialize(document, OciJsonContext.Default.ImageConfigDocument);
    }

    /// <summary>The OCI image manifest for a config and its layers (base first).</summary>
    public static byte[] Manifest(Descriptor config, IReadOnlyList<Descriptor> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return Serialize(new ManifestDocument { Config = config, Layers = [.. layers] }, OciJsonContext.Default.ManifestDocument);
    }

    /// <summary>An image layout's <c>index.json</c>: one manifest, annotated with the tag and the full name.</summary>
    public static byte[] Index(Descriptor manifest, ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var annotated = manifest with
        {
            Annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [
                new KeyValuePair<string, string>(RefNameAnnotation, reference.Tag),
                new KeyValuePair<string, string>(ContainerdNameAnnotation, reference.FullyQualified),
            ]),
        };
        return Serialize(new IndexDocument { Manifests = [annotated] }, OciJsonContext.Default.IndexDocument);
    }

    /// <summary>The <c>oci-layout</c> file: <c>{"imageLayoutVersion":"1.0.0"}</c>.</summary>
    public static byte[] Layout() => Serialize(new LayoutDocument(), OciJsonContext.Default.LayoutDocument);

    /// <summary>The <c>manifest.json</c> that <c>docker load</c> reads, pointing at <see cref="BlobPath"/>s.</summary>
    public static byte[] DockerManifest(Digest config, IReadOnlyList<Digest> layers, ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(reference);
        ImmutableArray<DockerManifestEntry> document =
        [
            new DockerManifestEntry
            {
                Config = BlobPath(config),
                RepoTags = [reference.ToString()],
                Layers = [.. layers.Select(BlobPath)],
            },
        ];
        return Serialize(document, OciJsonContext.Default.ImmutableArrayDockerManifestEntry);
    }

    /// <summary>Where a blob lives in an image layout: <c>blobs/sha256/&lt;hex&gt;</c>.</summary>
    public static string BlobPath(Digest digest) => "blobs/sha256/" + digest.Hex;

    /// <summary>RFC 3339 in UTC, without a fraction when it is zero: <c>1970-01-01T00:00:00Z</c>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        // Relaxed escaping keeps '+' in media types and non-ASCII label values readable; the bytes stay valid JSON.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        using (var writer = new Utf8JsonWriter(buffer, options))
            JsonSerializer.Serialize(writer, value, typeInfo);
        return buffer.WrittenSpan.ToArray();
    }
}
