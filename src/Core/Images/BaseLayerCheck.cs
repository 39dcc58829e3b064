using System.Formats.Tar;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Images;

/// <summary>
/// Reads a base image's layer once, streaming, before it is used: it must be a tar (plain, gzip or zstd) whose entries
/// stay inside the image's root, as an engine unpacking it would otherwise write outside it or be tricked. Refused,
/// each with one line: absolute names and <c>..</c> components, an entry written through a symbolic link that this or a
/// lower layer made, a hard link to a path no earlier entry made, and a layer that expands beyond the limit (a
/// decompression bomb). Whiteouts are ordinary entries here; they remove what lower layers hold.
/// </summary>
public sealed class BaseLayerCheck
{
    /// <summary>The most a layer may expand to, unless <c>TINYRUN_MAX_LAYER_SIZE</c> says otherwise: 16 GiB.</summary>
    public const long DefaultMaxUncompressedSize = 16L << 30;

    private const int BufferSize = 128 * 1024;
    private const string WhiteoutPrefix = ".wh.";

    private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _entries = new(StringComparer.Ordinal);
    private readonly long _maxUncompressedSize;

    /// <param name="maxUncompressedSize">The most one layer may expand to.</param>
    public BaseLayerCheck(long maxUncompressedSize = DefaultMaxUncompressedSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxUncompressedSize);
        _maxUncompressedSize = maxUncompressedSize;
    }

    /// <summary><c>TINYRUN_MAX_LAYER_SIZE</c> (bytes, or with a K, M or G suffix), else <see cref="DefaultMaxUncompressedSize"/>.</summary>
    public static long MaxUncompressedSizeFromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("TINYRUN_MAX_LAYER_SIZE") is not { Length: > 0 } text) return DefaultMaxUncompressedSize;
        var (digits, shift) = char.ToUpperInvariant(text[^1]) switch { 'K' => (text[..^1], 10), 'M' => (text[..^1], 20), 'G' => (text[..^1], 30), _ => (text, 0) };
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 && value < (1L << (62 - shift))
            ? value << shift
            : throw new TinyImageException($"TINYRUN_MAX_LAYER_SIZE='{text}' is not a size; give bytes or e.g. 512M, 16G, or unset it");
    }

    /// <summary>
    /// Checks the layer blob at <paramref name="blobPath"/> (the layers of one image in order, lowest first: links made
    /// by lower layers count) and returns its diff_id and counts.
    /// </summary>
    /// <param name="what">The layer, for errors: "layer sha256:… of base.tar".</param>
    public async Task<LayerFacts> CheckAsync(string blobPath, string what, CancellationToken cancellationToken)
    {
        var decompressed = await LayerBlob.OpenTarAsync(blobPath, cancellationToken).ConfigureAwait(false);
        await using (decompressed.ConfigureAwait(false))
        {
            var limited = new LimitedStream(decompressed, _maxUncompressedSize, what);
            using var hashing = new HashingStream(limited);
            try
            {
                var counts = await ReadEntriesAsync(hashing, what, cancellationToken).ConfigureAwait(false);
                // The end-of-archive blocks and any padding are part of the tar, so of its diff_id.
                var buffer = new byte[BufferSize];
                while (await hashing.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0) { }
                return new LayerFacts(hashing.GetDigest(), hashing.BytesHashed, counts.Files, counts.Entries, counts.Content);
            }
            catch (Exception e) when (e is InvalidDataException or ZstdNet.ZstdException || ArchiveText.IsTarDamage(e))
            {
                throw new TinyImageException($"{what} is not a readable tar layer ({ArchiveText.Printable(e.Message)}); the base image is damaged", e);
            }
        }
    }

    private async Task<(int Files, int Entries, long Content)> ReadEntriesAsync(Stream tar, string what, CancellationToken cancellationToken)
    {
        var (files, entries, content) = (0, 0, 0L);
        var bounded = new BoundedTarStream(tar, BoundedTarStream.DefaultMaxMetadataSize);
        var reader = new TarReader(bounded, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                entries++;
                var path = Check(entry, what);
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)
                {
                    files++;
                    content += entry.Length;
                }
                if (path is null) continue;
                if (entry.EntryType == TarEntryType.SymbolicLink) _symlinks.Add(path);
                else _symlinks.Remove(path);
                _entries.Add(path);
            }
        }
        return (files, entries, content);
    }

    /// <summary>The entry's absolute, normalized path (null for the root itself), or a refusal.</summary>
    private string? Check(TarEntry entry, string what)
    {
        var name = entry.Name;
        if (name.Contains('\0')) throw Refused(what, name, "has a NUL character in its name");
        if (name.StartsWith('/')) throw Refused(what, name, "has an absolute name");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Contains("..")) throw Refused(what, name, "has a '..' component, which would leave the image's root");
        var kept = parts.Where(p => p != ".").ToArray();
        if (kept.Length == 0) return null;
        var path = "/" + string.Join('/', kept);
        foreach (var ancestor in ImagePath.Ancestors(path))
            if (_symlinks.Contains(ancestor))
                throw Refused(what, name, $"is written through the symbolic link {ancestor}, which could point outside the image's root");
        var leaf = kept[^1];
        if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            var removed = path[..^leaf.Length] + leaf[WhiteoutPrefix.Length..];
            _symlinks.RemoveWhere(link => link == removed || link.StartsWith(removed + "/", StringComparison.Ordinal));
            return null;
        }
        if (entry.EntryType == TarEntryType.HardLink)
        {
            var target = entry.LinkName;
            if (target.StartsWith('/') || target.Split('/').Contains(".."))
                throw Refused(what, name, $"is a hard link to '{target}', outside the image's root");
            var targetPath = ImagePath.Normalize("/" + target);
            if (!_entries.Contains(targetPath) || _symlinks.Contains(targetPath))
                throw Refused(what, name, $"is a hard link to '{target}', which no earlier entry made");
            foreach (var ancestor in ImagePath.Ancestors(targetPath))
                if (_symlinks.Contains(ancestor))
                    throw Refused(what, name, $"is a hard link through the symbolic link {ancestor}");
        }
        return path;
    }

    private static TinyImageException Refused(string what, string name, string why) =>
        new($"{what}: the entry '{ArchiveText.Printable(name)}' {why}; refusing the base image");

    /// <summary>Reads at most a limit, then refuses: a layer that expands beyond it is a decompression bomb.</summary>
    private sealed class LimitedStream(Stream inner, long limit, string what) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > limit)
                throw new TinyImageException($"{what} expands to more than {limit >> 20} MiB (a decompression bomb?); refusing the base image, or raise TINYRUN_MAX_LAYER_SIZE if it is real");
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
