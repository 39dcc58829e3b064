using System.Formats.Tar;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>
/// Writes an image as ONE tar that is at the same time an OCI image layout (<c>oci-layout</c>, <c>index.json</c>,
/// <c>blobs/sha256/…</c>) and a <c>docker load</c> archive (<c>manifest.json</c> pointing into <c>blobs/</c>), as
/// <c>docker save</c> does since Docker 25. The output is written to a temporary file beside it and renamed into
/// place when complete: a failed or cancelled write leaves any previous output untouched.
/// </summary>
public sealed class ImageArchiveWriter
{
    private const int FileBufferSize = 128 * 1024;
    private const UnixFileMode FileMode644 = (UnixFileMode)0x1A4;
    private const UnixFileMode DirectoryMode755 = (UnixFileMode)0x1ED;

    /// <summary>Where an archive keeps TinyImage's record of why each file is in the image.</summary>
    public const string ExplanationMember = "tinyimage/files.json";

    private readonly LayerOptions _layerOptions;

    /// <param name="layerOptions">How to write layers from entries; its mtime also dates the image (<c>created</c>).</param>
    public ImageArchiveWriter(LayerOptions? layerOptions = null)
    {
        _layerOptions = layerOptions ?? new LayerOptions();
    }

    /// <summary>
    /// Writes <paramref name="entries"/> (as <see cref="FileTree.Entries"/> returns them) as a one-layer image, dated
    /// <see cref="LayerOptions.ModificationTime"/>. No entries give an image with no layers at all, as
    /// <c>FROM scratch</c> does; Docker reports its size as 0.
    /// </summary>
    /// <param name="architecture">The resolved OCI architecture, e.g. <c>amd64</c>.</param>
    /// <param name="reference">The name and tag, e.g. <c>hello:latest</c>; <c>docker load</c> tags the image with it.</param>
    /// <exception cref="TinyImageException">An unreadable input file or an unwritable output.</exception>
    public async Task<BuiltImage> WriteAsync(
        IReadOnlyList<FileEntry> entries, ImageConfig config, string architecture, ImageReference reference, string outputPath,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(reference);
        var directory = PrepareOutputDirectory(outputPath);

        var layers = new List<Layer>();
        try
        {
            if (entries.Count > 0)
                layers.Add(await new LayerWriter(_layerOptions).WriteAsync(entries, directory, cancellationToken).ConfigureAwait(false));
            return await WriteAsync(config, architecture, layers, reference, outputPath, _layerOptions.ModificationTime, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            foreach (var layer in layers) TemporaryFiles.TryDelete(layer.BlobPath);
        }
    }

    /// <summary>
    /// Writes an image made of finished <paramref name="layers"/> (base first; their blob files are read, not moved).
    /// </summary>
    /// <param name="architecture">The resolved OCI architecture, e.g. <c>amd64</c>, from the platform being built.</param>
    /// <param name="reference">The name and tag, e.g. <c>hello:latest</c>.</param>
    /// <param name="created">The image's <c>created</c> time, also the mtime of the archive's entries.</param>
    /// <exception cref="TinyImageException">A missing or changed layer blob, or an unwritable output.</exception>
    /// <param name="explanation">
    /// Optional JSON stored beside the image as <see cref="ExplanationMember"/>: why each file is in it. It is not part of
    /// the image (no digest covers it); <c>docker load</c> and OCI readers ignore it, <c>tinyrun inspect</c> shows it.
    /// </param>
    public async Task<BuiltImage> WriteAsync(
        ImageConfig config, string architecture, IReadOnlyList<Layer> layers, ImageReference reference, string outputPath,
        DateTimeOffset created, CancellationToken cancellationToken, byte[]? explanation = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentNullException.ThrowIfNull(layers);
        if (created < DateTimeOffset.UnixEpoch)
            throw new ArgumentOutOfRangeException(nameof(created), created, "the image time cannot be before 1970-01-01T00:00:00Z");
        cancellationToken.ThrowIfCancellationRequested();
        var directory = PrepareOutputDirectory(outputPath);
        var output = Path.GetFullPath(outputPath);

        var documents = ImageDocumentSet.Create(config, architecture, layers, reference, created);
        var configDescriptor = documents.ConfigDescriptor;
        var manifestDescriptor = documents.ManifestDescriptor;

        var temp = Path.Combine(directory, "." + Path.GetFileName(output) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            var file = OpenOutput(temp, output);
            await using (file.ConfigureAwait(false))
            {
                var tar = new TarWriter(file, TarEntryFormat.Gnu, leaveOpen: true);
                await using (tar.ConfigureAwait(false))
                {
                    var archive = new ArchiveEntries(tar, created);
                    await archive.AddFileAsync("oci-layout", ImageDocuments.Layout(), cancellationToken).ConfigureAwait(false);
                    await archive.AddFileAsync("index.json", documents.Index, cancellationToken).ConfigureAwait(false);
                    await archive.AddFileAsync("manifest.json", documents.DockerManifest, cancellationToken).ConfigureAwait(false);
                    if (explanation is not null)
                    {
                        await archive.AddDirectoryAsync("tinyimage/", cancellationToken).ConfigureAwait(false);
                        await archive.AddFileAsync(ExplanationMember, explanation, cancellationToken).ConfigureAwait(false);
                    }
                    await archive.AddDirectoryAsync("blobs/", cancellationToken).ConfigureAwait(false);
                    await archive.AddDirectoryAsync("blobs/sha256/", cancellationToken).ConfigureAwait(false);
                    await archive.AddFileAsync(ImageDocuments.BlobPath(configDescriptor.Digest), documents.Config, cancellationToken).ConfigureAwait(false);
                    var written = new HashSet<Digest> { configDescriptor.Digest };
                    foreach (var layer in layers)
                    {
                        if (written.Add(layer.Digest)) // the same layer twice is stored once
                            await archive.AddBlobFileAsync(layer, cancellationToken).ConfigureAwait(false);
                    }
                    if (written.Add(manifestDescriptor.Digest))
                        await archive.AddFileAsync(ImageDocuments.BlobPath(manifestDescriptor.Digest), documents.Manifest, cancellationToken).ConfigureAwait(false);
                }
                // No fsync: the rename keeps a killed or failed build from leaving a partial archive, and the
                // kernel writes the data out; syncing would cost more than the rest of a small build.
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, output, overwrite: true);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }

        return documents.ToBuiltImage(reference, layers, output, new FileInfo(output).Length);
    }

    /// <summary>Creates the output's directory if needed and returns it; user errors become a <see cref="TinyImageException"/>.</summary>
    internal static string PrepareOutputDirectory(string outputPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var output = Path.GetFullPath(outputPath);
        if (Directory.Exists(output))
            throw new TinyImageException($"the output '{outputPath}' is a directory; give a file name such as '{Path.Combine(outputPath, "image.tar")}'");
        var directory = Path.GetDirectoryName(output)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot create the output directory '{directory}': {e.Message}", e);
        }
        return directory;
    }

    private static FileStream OpenOutput(string temp, string output)
    {
        try
        {
            return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileBufferSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot write the image to '{output}': {e.Message}", e);
        }
    }

    /// <summary>Adds archive members with fixed metadata: mtime <c>created</c>, uid/gid 0, no names, 0644/0755.</summary>
    private sealed class ArchiveEntries(TarWriter tar, DateTimeOffset mtime)
    {
        public Task AddDirectoryAsync(string name, CancellationToken cancellationToken) =>
            tar.WriteEntryAsync(NewEntry(TarEntryType.Directory, name, DirectoryMode755), cancellationToken);

        public async Task AddFileAsync(string name, byte[] content, CancellationToken cancellationToken)
        {
            var entry = NewEntry(TarEntryType.RegularFile, name, FileMode644);
            entry.DataStream = new MemoryStream(content, writable: false);
            await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        public async Task AddBlobFileAsync(Layer layer, CancellationToken cancellationToken)
        {
            var name = ImageDocuments.BlobPath(layer.Digest);
            var data = SourceFileStream.Open(layer.BlobPath, "/" + name, bufferSize: 0);
            await using (data.ConfigureAwait(false))
            {
                if (data.Length != layer.Size)
                    throw new TinyImageException(
                        $"the layer blob '{layer.BlobPath}' is {data.Length} bytes but the layer {layer.Digest} is {layer.Size}; it was changed after it was written");
                var entry = NewEntry(TarEntryType.RegularFile, name, FileMode644);
                entry.DataStream = data;
                await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }

        private GnuTarEntry NewEntry(TarEntryType type, string name, UnixFileMode mode) => new(type, name)
        {
            Mode = mode,
            Uid = 0,
            Gid = 0,
            UserName = "",
            GroupName = "",
            ModificationTime = mtime,
        };
    }
}
