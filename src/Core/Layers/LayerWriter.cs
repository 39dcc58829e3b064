using System.Formats.Tar;
using System.IO.Compression;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>
/// Writes entries as one reproducible, gzip- (or zstd-) compressed layer blob. The tar, the gzip and both digests are
/// produced in a single streaming pass; memory does not grow with file sizes.
/// </summary>
/// <remarks>
/// The tar is GNU format, written by System.Formats.Tar: names relative (<c>usr/bin/x</c>, directories
/// <c>usr/bin/</c>), entries in the given order, uid/gid 0 (or the entry's own, e.g. a WithUser home directory), no user or group names, one fixed mtime, no
/// atime/ctime, and <c>././@LongLink</c> records (mtime 0) for names and link targets over 100 bytes. PAX is
/// avoided because .NET names its extended headers after the process id. The gzip header has MTIME 0 and
/// no file name. The default gzip's deflate is SharpCompress's managed one (<see cref="PinnedGzipStream"/>), and zstd
/// blobs come from the libzstd that the ZstdNet package ships (not the system's), so both blobs depend only on the
/// TinyImage version; gzip-fast blobs are .NET's zlib-ng's, stable for a given .NET runtime only. diff_ids are stable
/// everywhere.
/// </remarks>
public sealed class LayerWriter
{
    private const int FileBufferSize = 128 * 1024;
    private const string TempPrefix = ".tinyimage-layer-";
    private const int EndOfArchiveLength = 2 * 512;

    private readonly LayerOptions _options;

    public LayerWriter(LayerOptions? options = null)
    {
        _options = options ?? new LayerOptions();
        if (_options.ModificationTime < DateTimeOffset.UnixEpoch)
            throw new ArgumentOutOfRangeException(nameof(options), _options.ModificationTime, "the layer mtime cannot be before 1970-01-01T00:00:00Z");
        if (!Enum.IsDefined(_options.CompressionLevel))
            throw new ArgumentOutOfRangeException(nameof(options), _options.CompressionLevel, "unknown compression level");
    }

    public LayerOptions Options => _options;

    /// <summary>
    /// Writes <paramref name="entries"/> (sorted by path, parents first, as <see cref="FileTree.Entries"/> returns
    /// them) as a layer blob in a new temporary file in <paramref name="blobDirectory"/> (created if missing).
    /// The caller owns the file at <see cref="Layer.BlobPath"/>. On failure no file is left behind.
    /// </summary>
    /// <exception cref="TinyImageException">A source file cannot be read, or changed size while being read.</exception>
    public async Task<Layer> WriteAsync(IReadOnlyList<FileEntry> entries, string blobDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentException.ThrowIfNullOrEmpty(blobDirectory);
        cancellationToken.ThrowIfCancellationRequested();
        ValidateOrder(entries);

        Directory.CreateDirectory(blobDirectory);
        var blobPath = Path.Combine(blobDirectory, TempPrefix + Path.GetRandomFileName() + ".tmp");
        try
        {
            var file = new FileStream(blobPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileBufferSize);
            await using (file.ConfigureAwait(false))
            {
                using var compressed = new HashingStream(file);
                var compressor = OpenCompressor(compressed);
                LayerContent content;
                await using (compressor.ConfigureAwait(false))
                {
                    content = WriteTar(compressor, entries, cancellationToken);
                    // Finish the gzip member / zstd frame before taking the compressed digest.
                    await compressor.DisposeAsync().ConfigureAwait(false);
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);

                return content.ToLayer(compressed.GetDigest(), compressed.BytesHashed, blobPath, MediaType);
            }
        }
        catch
        {
            TemporaryFiles.TryDelete(blobPath);
            throw;
        }
    }

    /// <summary>
    /// Computes what <see cref="WriteAsync"/> would give as diff_id, uncompressed size and counts, by writing the same
    /// tar to nowhere: it reads every file but compresses nothing. <see cref="LayerCache"/> keys blobs on it.
    /// </summary>
    /// <exception cref="TinyImageException">A source file cannot be read, or changed size while being read.</exception>
    public Task<LayerContent> MeasureAsync(IReadOnlyList<FileEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        ValidateOrder(entries);
        return Task.FromResult(WriteTar(Stream.Null, entries, cancellationToken));
    }

    /// <summary>The media type of the blobs this writer makes.</summary>
    public string MediaType => _options.Compression == LayerCompression.Zstd ? MediaTypes.LayerZstd : MediaTypes.LayerGzip;

    private Stream OpenCompressor(Stream destination) => _options.Compression switch
    {
        // All leave the destination open. The gzip headers have MTIME 0 and no name.
        LayerCompression.Zstd => new ZstdNet.CompressionStream(destination, new ZstdNet.CompressionOptions(_options.ZstdLevel)),
        LayerCompression.GzipFast => new GZipStream(destination, _options.CompressionLevel, leaveOpen: true),
        _ => new PinnedGzipStream(destination, _options.GzipLevel),
    };

    /// <summary>
    /// Writes the tar of <paramref name="entries"/> to <paramref name="destination"/>, hashing it on the way, with the
    /// tar writer's blocking calls (each layer has a worker of its own): its async path JIT-compiled some 50 methods at
    /// every start (issue 10). Cancellation is seen between entries and while a file is copied.
    /// </summary>
    private LayerContent WriteTar(Stream destination, IReadOnlyList<FileEntry> entries, CancellationToken cancellationToken)
    {
        using var uncompressed = new HashingStream(destination);
        var counts = new Counts();
        using (var tar = new TarWriter(uncompressed, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var entry in entries)
                WriteEntry(tar, entry, counts, cancellationToken);
        }
        // TarWriter writes its two zero end-of-archive records only after an entry, and GZipStream writes
        // nothing at all if given nothing; an empty layer must still be a valid (empty) tar in a valid gzip.
        if (entries.Count == 0)
            uncompressed.Write(new byte[EndOfArchiveLength]);
        return new LayerContent
        {
            DiffId = uncompressed.GetDigest(),
            UncompressedSize = uncompressed.BytesHashed,
            FileCount = counts.Files,
            EntryCount = entries.Count,
            ContentSize = counts.ContentBytes,
        };
    }

    private void WriteEntry(TarWriter tar, FileEntry entry, Counts counts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var name = entry.Path[1..];
        var mode = (UnixFileMode)(entry.Mode & 0xFFF);
        switch (entry.Kind)
        {
            case EntryKind.Directory:
                tar.WriteEntry(NewEntry(TarEntryType.Directory, name + "/", mode, entry));
                break;

            case EntryKind.Symlink:
                if (string.IsNullOrEmpty(entry.LinkTarget))
                    throw new ArgumentException($"the symlink '{entry.Path}' has no target", nameof(entry));
                var link = NewEntry(TarEntryType.SymbolicLink, name, mode, entry);
                link.LinkName = entry.LinkTarget;
                tar.WriteEntry(link);
                break;

            case EntryKind.File:
                using (var data = OpenContent(entry))
                {
                    var file = NewEntry(TarEntryType.RegularFile, name, mode, entry);
                    file.DataStream = new CancellableReadStream(data, cancellationToken);
                    tar.WriteEntry(file);
                    counts.Files++;
                    counts.ContentBytes += data.Length;
                }
                break;

            default:
                throw new ArgumentException($"'{entry.Path}' has an unknown kind {entry.Kind}", nameof(entry));
        }
    }

    private GnuTarEntry NewEntry(TarEntryType type, string name, UnixFileMode mode, FileEntry entry) => new(type, name)
    {
        Mode = mode,
        Uid = entry.Uid,
        Gid = entry.Gid,
        UserName = "",
        GroupName = "",
        ModificationTime = _options.ModificationTime,
    };

    private static Stream OpenContent(FileEntry entry)
    {
        if (entry.Content is not null) return new MemoryStream(entry.Content, writable: false);
        if (entry.SourcePath is null)
            throw new ArgumentException($"the file '{entry.Path}' has neither Content nor SourcePath", nameof(entry));
        return SourceFileStream.Open(entry.SourcePath, entry.Path, bufferSize: 0);
    }

    private static void ValidateOrder(IReadOnlyList<FileEntry> entries)
    {
        var directories = new HashSet<string>(StringComparer.Ordinal) { "/" };
        string? previous = null;
        foreach (var entry in entries)
        {
            var path = entry.Path;
            if (path == "/" || ImagePath.Normalize(path) != path)
                throw new ArgumentException($"'{path}' is not a normalized absolute path below the root", nameof(entries));
            if (previous is not null && string.CompareOrdinal(previous, path) >= 0)
                throw new ArgumentException($"entries must be in strictly increasing ordinal order: '{path}' follows '{previous}'", nameof(entries));
            if (!directories.Contains(ImagePath.Parent(path)!))
                throw new ArgumentException($"the parent directory of '{path}' must come before it", nameof(entries));
            if (entry.Kind == EntryKind.Directory) directories.Add(path);
            previous = path;
        }
    }

    private sealed class Counts
    {
        public int Files;
        public long ContentBytes;
    }
}
