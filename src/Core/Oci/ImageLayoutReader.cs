using System.Formats.Tar;
using System.Text.Json;

namespace TinyImage.Core.Oci;

/// <summary>Reads the tagged manifests of an image written by TinyImage (or any OCI layout): a tar or a layout directory.</summary>
public static class ImageLayoutReader
{
    /// <summary>Each manifest of <c>index.json</c>: its <c>io.containerd.image.name</c> (or ref name) and digest.</summary>
    /// <exception cref="TinyImageException">The path is missing or holds no OCI <c>index.json</c>.</exception>
    public static async Task<IReadOnlyList<(string Name, Digest Manifest)>> ReadManifestsAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[]? index = null;
        try
        {
            if (Directory.Exists(path))
            {
                var file = Path.Combine(path, "index.json");
                if (File.Exists(file)) index = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var stream = File.OpenRead(path);
                await using (stream.ConfigureAwait(false))
                {
                    var reader = new TarReader(stream);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                        {
                            if (entry.Name is not ("index.json" or "./index.json") || entry.DataStream is null) continue;
                            using var buffer = new MemoryStream();
                            await entry.DataStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                            index = buffer.ToArray();
                            break;
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new TinyImageException($"cannot read the image '{path}': {e.Message}; give an image tar or OCI layout directory written by tinyrun", e);
        }
        if (index is null)
            throw new TinyImageException($"'{path}' has no index.json: it is not an OCI image layout or archive; give one written by tinyrun");
        try
        {
            using var json = JsonDocument.Parse(index);
            var result = new List<(string, Digest)>();
            foreach (var manifest in json.RootElement.GetProperty("manifests").EnumerateArray())
            {
                var name = manifest.TryGetProperty("annotations", out var annotations) &&
                           (annotations.TryGetProperty(ImageDocuments.ContainerdNameAnnotation, out var n) || annotations.TryGetProperty(ImageDocuments.RefNameAnnotation, out n))
                    ? n.GetString() ?? ""
                    : "";
                result.Add((name, Digest.Parse(manifest.GetProperty("digest").GetString() ?? "")));
            }
            return result;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new TinyImageException($"the index.json of '{path}' is not a valid OCI image index: {e.Message}", e);
        }
    }
}
