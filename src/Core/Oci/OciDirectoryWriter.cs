using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>
/// Writes an image as an OCI image layout directory: <c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>, and
/// the <c>manifest.json</c> of the <c>docker load</c> format (so <c>tar -C DIR -c . | docker load</c> works too): the
/// same files as <see cref="ImageArchiveWriter"/>'s tar, unpacked. The directory is built under a temporary name beside
/// the output and renamed into place; a previous layout at the output is replaced only once the new one is complete.
/// </summary>
public sealed class OciDirectoryWriter
{
    private const string LayoutFile = "oci-layout";

    /// <summary>Writes an image made of finished <paramref name="layers"/> (base first; their blob files are copied, not moved).</summary>
    /// <param name="architecture">The resolved OCI architecture, e.g. <c>amd64</c>.</param>
    /// <param name="created">The image's <c>created</c> time.</param>
    /// <exception cref="TinyImageException">The output is a file or a directory that is not an OCI layout, or cannot be written.</exception>
    public async Task<BuiltImage> WriteAsync(
        ImageConfig config, string architecture, IReadOnlyList<Layer> layers, ImageReference reference, string outputPath,
        DateTimeOffset created, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        cancellationToken.ThrowIfCancellationRequested();
        var output = Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath);
        RefuseUnreplaceable(output, outputPath);
        var documents = ImageDocumentSet.Create(config, architecture, layers, reference, created);
        await WriteLayoutAsync(output, outputPath, async temp =>
        {
            var blobs = Path.Combine(temp, "blobs", "sha256");
            Directory.CreateDirectory(blobs);
            await File.WriteAllBytesAsync(Path.Combine(temp, LayoutFile), ImageDocuments.Layout(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, "index.json"), documents.Index, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, "manifest.json"), documents.DockerManifest, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, ImageDocuments.BlobPath(documents.ConfigDescriptor.Digest)), documents.Config, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, ImageDocuments.BlobPath(documents.ManifestDescriptor.Digest)), documents.Manifest, cancellationToken).ConfigureAwait(false);
            foreach (var layer in layers)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var target = Path.Combine(temp, ImageDocuments.BlobPath(layer.Digest));
                if (File.Exists(target)) continue; // the same layer twice is stored once
                if (new FileInfo(layer.BlobPath) is not { Exists: true } source || source.Length != layer.Size)
                    throw new TinyImageException($"the layer blob '{layer.BlobPath}' is missing or is not the {layer.Size} bytes of layer {layer.Digest}; build again");
                File.Copy(layer.BlobPath, target);
            }
        }, cancellationToken).ConfigureAwait(false);
        var size = new DirectoryInfo(output).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return documents.ToBuiltImage(reference, layers, output, size);
    }

    /// <summary>
    /// Writes one layout holding the images of several platforms (each already written as a layout of its own at its
    /// <see cref="BuiltImage.OutputPath"/>): their blobs, an image index of their manifests, and <c>index.json</c> naming
    /// that index with the tag. Returns the index's digest.
    /// </summary>
    public static async Task<Digest> WriteIndexAsync(IReadOnlyList<(BuiltImage Image, Platform Platform)> images, ImageReference reference, string outputPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var output = Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath);
        RefuseUnreplaceable(output, outputPath);
        var index = ImageDocuments.PlatformIndex([.. images.Select(i => (new Descriptor(MediaTypes.ImageManifest, i.Image.ManifestDigest, i.Image.ManifestBytes.Length), i.Platform))]);
        var indexDescriptor = new Descriptor(MediaTypes.ImageIndex, Digest.Compute(index), index.Length);
        await WriteLayoutAsync(output, outputPath, async temp =>
        {
            var blobs = Path.Combine(temp, "blobs", "sha256");
            Directory.CreateDirectory(blobs);
            foreach (var (image, _) in images)
                foreach (var blob in Directory.EnumerateFiles(Path.Combine(image.OutputPath, "blobs", "sha256")))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var to = Path.Combine(blobs, Path.GetFileName(blob));
                    if (!File.Exists(to)) File.Copy(blob, to);
                }
            await File.WriteAllBytesAsync(Path.Combine(temp, LayoutFile), ImageDocuments.Layout(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, ImageDocuments.BlobPath(indexDescriptor.Digest)), index, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, "index.json"), ImageDocuments.Index(indexDescriptor, reference), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return indexDescriptor.Digest;
    }

    /// <summary>
    /// Fills a temporary directory beside <paramref name="output"/> with <paramref name="fill"/>, then moves it into
    /// place; on any failure the temporary directory goes and a previous layout stays.
    /// </summary>
    private static async Task WriteLayoutAsync(string output, string outputPath, Func<string, Task> fill, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Path.GetDirectoryName(output)!, "." + Path.GetFileName(output) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            await fill(temp).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            Replace(temp, output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDeleteDirectory(temp);
            throw new TinyImageException($"cannot write the OCI layout '{outputPath}': {e.Message}", e);
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    private static void RefuseUnreplaceable(string output, string outputPath)
    {
        if (File.Exists(output))
            throw new TinyImageException($"the output '{outputPath}' is a file but --format oci-dir writes a directory; remove it or give another path");
        if (Directory.Exists(output) && !File.Exists(Path.Combine(output, LayoutFile)) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new TinyImageException($"the output '{outputPath}' is a directory that is not an OCI image layout; refusing to replace it: give an empty or new directory");
    }

    /// <summary>Moves the finished layout into place; an older layout there is moved aside first and deleted after.</summary>
    private static void Replace(string temp, string output)
    {
        if (!Directory.Exists(output))
        {
            Directory.Move(temp, output);
            return;
        }
        var old = Path.Combine(Path.GetDirectoryName(output)!, "." + Path.GetFileName(output) + "." + Path.GetRandomFileName() + ".old");
        Directory.Move(output, old);
        Directory.Move(temp, output);
        TryDeleteDirectory(old);
    }

    private static void TryDeleteDirectory(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
