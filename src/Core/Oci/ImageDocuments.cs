using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
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
    /// <param name="architecture">The resolved OCI architecture, e.g. <c>amd64</c>, from the platform being built.</param>
    public static byte[] Config(ImageConfig config, string architecture, IReadOnlyList<Digest> diffIds, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentNullException.ThrowIfNull(diffIds);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("created", FormatTime(created));
            json.WriteString("architecture", architecture);
            json.WriteString("os", config.Os);
            json.WriteStartObject("config");
            if (config.User is { } user) json.WriteString("User", user);
            if (!config.ExposedPorts.IsEmpty)
            {
                json.WriteStartObject("ExposedPorts");
                foreach (var port in config.ExposedPorts.Order(StringComparer.Ordinal))
                {
                    json.WriteStartObject(port);
                    json.WriteEndObject();
                }
                json.WriteEndObject();
            }
            if (!config.Env.IsEmpty) WriteStrings(json, "Env", config.Env.Select(kv => $"{kv.Key}={kv.Value}"));
            if (config.Entrypoint is { } entrypoint) WriteStrings(json, "Entrypoint", entrypoint);
            if (config.Cmd is { } cmd) WriteStrings(json, "Cmd", cmd);
            if (config.WorkingDir is { } workingDir) json.WriteString("WorkingDir", workingDir);
            if (!config.Labels.IsEmpty)
            {
                json.WriteStartObject("Labels");
                foreach (var (key, value) in config.Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartObject("rootfs");
            json.WriteString("type", "layers");
            WriteStrings(json, "diff_ids", diffIds.Select(d => d.ToString()));
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    /// <summary>The OCI image manifest for a config and its layers (base first).</summary>
    public static byte[] Manifest(Descriptor config, IReadOnlyList<Descriptor> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.ImageManifest);
            json.WritePropertyName("config");
            WriteDescriptor(json, config);
            json.WriteStartArray("layers");
            foreach (var layer in layers) WriteDescriptor(json, layer);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>An image layout's <c>index.json</c>: one manifest, annotated with the tag and the full name.</summary>
    public static byte[] Index(Descriptor manifest, ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var annotated = manifest with
        {
            // Added one by one: CreateRange sorts through a SortedDictionary, whose generic code is JIT-compiled at every start (issue 10).
            Annotations = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal)
                .Add(RefNameAnnotation, reference.Tag)
                .Add(ContainerdNameAnnotation, reference.FullyQualified),
        };
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.ImageIndex);
            json.WriteStartArray("manifests");
            WriteDescriptor(json, annotated);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>An image index of one image for several platforms: each manifest with its <c>platform</c>, in the order given.</summary>
    public static byte[] PlatformIndex(IReadOnlyList<(Descriptor Manifest, Platform Platform)> manifests, ImageReference? reference = null)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.ImageIndex);
            json.WriteStartArray("manifests");
            foreach (var (manifest, platform) in manifests)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", manifest.MediaType);
                json.WriteString("digest", manifest.Digest.ToString());
                json.WriteNumber("size", manifest.Size);
                json.WriteStartObject("platform");
                json.WriteString("architecture", platform.Architecture);
                json.WriteString("os", platform.Os);
                if (platform.Variant is { } variant) json.WriteString("variant", variant);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (reference is not null)
            {
                json.WriteStartObject("annotations");
                json.WriteString(RefNameAnnotation, reference.Tag);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        });
    }

    /// <summary>The <c>oci-layout</c> file: <c>{"imageLayoutVersion":"1.0.0"}</c>.</summary>
    public static byte[] Layout() => Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("imageLayoutVersion", "1.0.0");
        json.WriteEndObject();
    });

    /// <summary>The <c>manifest.json</c> that <c>docker load</c> reads, pointing at <see cref="BlobPath"/>s.</summary>
    public static byte[] DockerManifest(Digest config, IReadOnlyList<Digest> layers, ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(reference);
        return Write(json =>
        {
            json.WriteStartArray();
            json.WriteStartObject();
            json.WriteString("Config", BlobPath(config));
            WriteStrings(json, "RepoTags", [reference.ToString()]);
            WriteStrings(json, "Layers", layers.Select(BlobPath));
            json.WriteEndObject();
            json.WriteEndArray();
        });
    }

    /// <summary>The <c>created</c> time of an image config, or the Unix epoch when it has none that can be read.</summary>
    public static DateTimeOffset CreatedOf(ReadOnlyMemory<byte> config)
    {
        try
        {
            using var document = JsonDocument.Parse(config);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("created", out var created)
                   && created.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(created.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                   && time >= DateTimeOffset.UnixEpoch
                ? time : DateTimeOffset.UnixEpoch;
        }
        catch (JsonException)
        {
            return DateTimeOffset.UnixEpoch;
        }
    }

    /// <summary>Where a blob lives in an image layout: <c>blobs/sha256/&lt;hex&gt;</c>.</summary>
    public static string BlobPath(Digest digest) => "blobs/sha256/" + digest.Hex;

    /// <summary>RFC 3339 in UTC, without a fraction when it is zero: <c>1970-01-01T00:00:00Z</c>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static void WriteDescriptor(Utf8JsonWriter json, Descriptor descriptor)
    {
        json.WriteStartObject();
        json.WriteString("mediaType", descriptor.MediaType);
        json.WriteString("digest", descriptor.Digest.ToString());
        json.WriteNumber("size", descriptor.Size);
        if (descriptor.Annotations is { IsEmpty: false } annotations)
        {
            json.WriteStartObject("annotations");
            foreach (var (key, value) in annotations.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    /// <summary>
    /// Compact UTF-8 with properties in the order written. Written with Utf8JsonWriter rather than the serializer:
    /// the bytes are as explicit as the spec, and start-up has no serializer metadata to build.
    /// </summary>
    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        // Relaxed escaping keeps '+' in media types and non-ASCII label values readable; the bytes stay valid JSON.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        using (var writer = new Utf8JsonWriter(buffer, options))
            write(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
