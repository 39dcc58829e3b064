using System.Formats.Tar;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>
/// Writes an image as ONE tar that is at the same time an OCI image layout (<c>oci-layout</c>, <c>index.json</c>,
/// <c>blobs/sha256/…</c>) and a <c>docker load</c> archive (<c>manifest.json</c> pointing into <c>blobs/</c>), as
/// <c>docker save</c> does since Docker 25. The output is written to a temporary file beside it and renamed into
/// place when complete: a failed or cancelled write leaves any previous output untouched.
/// </summary>
/// <param name="outputPath">Where the archive goes.</param>
/// <param name="explanation">
/// Optional JSON stored beside the image as <see cref="ExplanationMember"/>: why each file is in it. It is not part of
/// the image (no digest covers it); <c>docker load</c> and OCI readers ignore it, <c>tinyrun inspect</c> shows it.
/// </param>
public sealed class ImageArchiveWriter(string outputPath, byte[]? explanation = null) : IImageSink
{
    private const int FileBufferSize = 128 * 1024;
    private const UnixFileMode FileMode644 = (UnixFileMode)0x1A4;
    private const UnixFileMode DirectoryMode755 = (UnixFileMode)0x1ED;

    /// <summary>Where an archive keeps TinyImage's record of why each file is in the image.</summary>
    public const string ExplanationMember = "tinyimage/files.json";

    /// <summary>Absolute path of the archive.</summary>
    public string OutputPath { get; } = Path.GetFullPath(outputPath);

    /// <summary>Writes the archive (its members dated by the config's <c>created</c>); returns its absolute path.</summary>
    /// <exception cref="TinyImageException">A missing or changed layer blob, or an unwritable output.</exception>
    public async Task<string> WriteAsync(IImage image, ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(reference);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = PrepareOutputDirectory(outputPath);
        var temp = Path.Combine(directory, "." + Path.GetFileName(OutputPath) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            // Written with blocking calls on a thread of its own, beside the other sinks: a local file gains nothing from
            // the tar writer's async path, which JIT-compiles some 60 methods at every start (issue 10).
            await Task.Factory.StartNew(() =>
            {
                using (var file = OpenOutput(temp, OutputPath))
                {
                    WriteTar(image, reference, file, explanation, cancellationToken);
                    // No fsync: the rename keeps a killed or failed build from leaving a partial archive, and the
                    // kernel writes the data out; syncing would cost more than the rest of a small build.
                    file.Flush();
                }
                cancellationToken.ThrowIfCancellationRequested();
                File.Move(temp, OutputPath, overwrite: true);
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
        return OutputPath;
    }

    /// <summary>
    /// Writes the archive's tar to <paramref name="destination"/> as it is made; members are dated by the config's
    /// <c>created</c>, owned by 0:0, 0644/0755. Cancellation is seen between members and while a layer is copied.
    /// </summary>
    public static void WriteTar(IImage image, ImageReference reference, Stream destination, byte[]? explanation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(reference);
        var manifest = new Descriptor(image.ManifestMediaType, image.ManifestDigest, image.ManifestBytes.Length);
        using var tar = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        var archive = new ArchiveEntries(tar, ImageDocuments.CreatedOf(image.ConfigBytes), cancellationToken);
        archive.AddFile("oci-layout", ImageDocuments.Layout());
        archive.AddFile("index.json", ImageDocuments.Index(manifest, reference));
        archive.AddFile("manifest.json", ImageDocuments.DockerManifest(image.ConfigDigest, [.. image.Layers.Select(l => l.Digest)], reference));
        if (explanation is not null)
        {
            archive.AddDirectory("tinyimage/");
            archive.AddFile(ExplanationMember, explanation);
        }
        archive.AddDirectory("blobs/");
        archive.AddDirectory("blobs/sha256/");
        archive.AddFile(ImageDocuments.BlobPath(image.ConfigDigest), image.ConfigBytes);
        var written = new HashSet<string>(StringComparer.Ordinal) { image.ConfigDigest.ToString() }; // strings: no generic code to JIT-compile
        foreach (var layer in image.Layers)
        {
            if (written.Add(layer.Digest.ToString())) // the same layer twice is stored once
                archive.AddBlob(layer);
        }
        if (written.Add(image.ManifestDigest.ToString()))
            archive.AddFile(ImageDocuments.BlobPath(image.ManifestDigest), image.ManifestBytes);
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
    private sealed class ArchiveEntries(TarWriter tar, DateTimeOffset mtime, CancellationToken cancellationToken)
    {
        public void AddDirectory(string name)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tar.WriteEntry(NewEntry(TarEntryType.Directory, name, DirectoryMode755));
        }

        public void AddFile(string name, ReadOnlyMemory<byte> content)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = NewEntry(TarEntryType.RegularFile, name, FileMode644);
            entry.DataStream = new MemoryStream(content.ToArray(), writable: false);
            tar.WriteEntry(entry);
        }

        public void AddBlob(ILayer layer)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = ImageDocuments.BlobPath(layer.Digest);
            using var data = layer.OpenCompressed();
            if (data.Length != layer.Size)
                throw new TinyImageException(
                    $"the blob of layer {layer.Digest} is {data.Length} bytes, not {layer.Size}; it was changed after it was written: build again");
            var entry = NewEntry(TarEntryType.RegularFile, name, FileMode644);
            entry.DataStream = new CancellableReadStream(data, cancellationToken);
            tar.WriteEntry(entry);
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
