using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>
/// Writes an image as an OCI image layout directory: <c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>, and
/// the <c>manifest.json</c> of the <c>docker load</c> format (so <c>tar -C DIR -c . | docker load</c> works too): the
/// same files as <see cref="ImageArchiveWriter"/>'s tar, unpacked. The directory is built under a temporary name beside
/// the output and renamed into place; a previous layout at the output is replaced only once the new one is complete.
/// </summary>
public sealed class OciDirectoryWriter(string outputPath) : IImageSink
{
    private const string LayoutFile = "oci-layout";

    /// <summary>Absolute path of the layout directory.</summary>
    public string OutputPath { get; } = Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath);

    /// <summary>Writes the layout; returns its absolute path.</summary>
    /// <exception cref="TinyImageException">The output is a file or a directory that is not an OCI layout, or cannot be written.</exception>
    public async Task<string> WriteAsync(IImage image, ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(reference);
        cancellationToken.ThrowIfCancellationRequested();
        RefuseUnreplaceable(OutputPath, outputPath);
        var manifest = new Descriptor(image.ManifestMediaType, image.ManifestDigest, image.ManifestBytes.Length);
        await WriteLayoutAsync(OutputPath, outputPath, async temp =>
        {
            await WriteBlobsAsync(temp, image, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, LayoutFile), ImageDocuments.Layout(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, "index.json"), ImageDocuments.Index(manifest, reference), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, "manifest.json"),
                ImageDocuments.DockerManifest(image.ConfigDigest, [.. image.Layers.Select(l => l.Digest)], reference), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return OutputPath;
    }

    /// <summary>
    /// Writes one layout holding the images of several platforms: their blobs, an image index of their manifests, and
    /// <c>index.json</c> naming that index with the tag. Returns the index's digest.
    /// </summary>
    public static async Task<Digest> WriteIndexAsync(IReadOnlyList<(IImage Image, Platform Platform)> images, ImageReference reference, string outputPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var output = Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath);
        RefuseUnreplaceable(output, outputPath);
        var index = ImageDocuments.PlatformIndex([.. images.Select(i => (new Descriptor(i.Image.ManifestMediaType, i.Image.ManifestDigest, i.Image.ManifestBytes.Length), i.Platform))]);
        var indexDescriptor = new Descriptor(MediaTypes.ImageIndex, Digest.Compute(index), index.Length);
        await WriteLayoutAsync(output, outputPath, async temp =>
        {
            foreach (var (image, _) in images)
                await WriteBlobsAsync(temp, image, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, LayoutFile), ImageDocuments.Layout(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, ImageDocuments.BlobPath(indexDescriptor.Digest)), index, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temp, "index.json"), ImageDocuments.Index(indexDescriptor, reference), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return indexDescriptor.Digest;
    }

    /// <summary>Writes the image's config, manifest and layer blobs into <c>blobs/sha256</c> of <paramref name="layout"/>; a blob already there is kept.</summary>
    private static async Task WriteBlobsAsync(string layout, IImage image, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(layout, "blobs", "sha256"));
        await File.WriteAllBytesAsync(Path.Combine(layout, ImageDocuments.BlobPath(image.ConfigDigest)), image.ConfigBytes, cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(layout, ImageDocuments.BlobPath(image.ManifestDigest)), image.ManifestBytes, cancellationToken).ConfigureAwait(false);
        foreach (var layer in image.Layers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = Path.Combine(layout, ImageDocuments.BlobPath(layer.Digest));
            if (File.Exists(target)) continue; // the same layer twice is stored once
            var source = layer.OpenCompressed();
            await using (source.ConfigureAwait(false))
            {
                if (source.Length != layer.Size)
                    throw new TinyImageException($"the blob of layer {layer.Digest} is {source.Length} bytes, not {layer.Size}; it was changed after it was written: build again");
                var copy = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await using (copy.ConfigureAwait(false))
                    await source.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            }
        }
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
