using System.Formats.Tar;
using System.Text.Json;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Oci;

/// <summary>
/// Reads the tagged manifests of an image written by TinyImage (or any OCI layout): a tar or a layout directory. It
/// reads only <c>index.json</c>, from a regular file (never a FIFO or a device) and at most
/// <see cref="UntrustedFiles.MaxDocumentSize"/> of it.
/// </summary>
public static class ImageLayoutReader
{
    /// <summary>Each manifest of <c>index.json</c>: its <c>io.containerd.image.name</c> (or ref name) and digest.</summary>
    /// <exception cref="TinyImageException">The path is missing, is not a regular file or directory, or holds no valid OCI <c>index.json</c>.</exception>
    public static async Task<IReadOnlyList<(string Name, Digest Manifest)>> ReadManifestsAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var index = Directory.Exists(path)
            ? await ReadFromDirectoryAsync(path, cancellationToken).ConfigureAwait(false)
            : await ReadFromTarAsync(path, cancellationToken).ConfigureAwait(false);
        if (index is null)
            throw new TinyImageException($"'{path}' has no index.json: it is not an OCI image layout or archive; give one written by tinyrun");
        try
        {
            using var json = JsonDocument.Parse(index);
            var result = new List<(string, Digest)>();
            foreach (var manifest in ArchiveJson.Root(json.RootElement, path, "index.json").Property("manifests").Items())
            {
                var annotations = manifest.Property("annotations").Expect(JsonValueKind.Object, orNull: true);
                var name = annotations.IsMissingOrNull ? null
                    : annotations.Property(ImageDocuments.ContainerdNameAnnotation).OptionalString() ?? annotations.Property(ImageDocuments.RefNameAnnotation).OptionalString();
                var digest = manifest.Property("digest");
                result.Add((name ?? "", Digest.TryParse(digest.String(), out var parsed) ? parsed : throw digest.Error("a sha256 digest")));
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"the index.json of '{path}' is not valid JSON: {ArchiveText.Printable(e.Message)}", e);
        }
    }

    private static async Task<byte[]?> ReadFromDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var file = Path.Combine(path, "index.json");
        if (!Path.Exists(file)) return null;
        return await UntrustedFiles.ReadDocumentAsync(file, $"'{file}'", UntrustedFiles.MaxDocumentSize, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]?> ReadFromTarAsync(string path, CancellationToken cancellationToken)
    {
        if (!UntrustedFiles.IsRegularFile(path))
            throw new TinyImageException($"'{path}' is not a regular file or a directory; give an image tar or OCI layout directory written by tinyrun");
        try
        {
            var stream = new BoundedTarStream(File.OpenRead(path), BoundedTarStream.DefaultMaxMetadataSize);
            await using (stream.ConfigureAwait(false))
            {
                var reader = new TarReader(stream);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                    {
                        if (entry.Name is not ("index.json" or "./index.json") || entry.DataStream is null) continue;
                        var name = $"the index.json of '{path}'";
                        if (entry.Length > UntrustedFiles.MaxDocumentSize) throw UntrustedFiles.TooLarge(name, UntrustedFiles.MaxDocumentSize);
                        return await UntrustedFiles.ReadBoundedAsync(entry.DataStream, name, UntrustedFiles.MaxDocumentSize, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException || ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"cannot read the image '{path}': {ArchiveText.Printable(e.Message)}; give an image tar or OCI layout directory written by tinyrun", e);
        }
    }
}
