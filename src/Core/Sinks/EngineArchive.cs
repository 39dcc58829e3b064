using System.Formats.Tar;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Sinks;

/// <summary>
/// The archive a Docker engine's load endpoint reads, made as it is sent: <c>manifest.json</c>, the config, and each
/// layer as its plain tar (named by its diff_id), so the engine unpacks without undoing gzip. The image ID, the config's
/// digest, is the same as from the compressed archive.
/// </summary>
internal static class EngineArchive
{
    private const UnixFileMode FileMode644 = (UnixFileMode)0x1A4;

    public static async Task WriteAsync(IImage image, ImageReference reference, Stream destination, CancellationToken cancellationToken)
    {
        var layers = image.Layers.Select(l => (Layer: l, Plain: l is Layer { UncompressedSize: > 0 })).ToList();
        Digest NameOf((ILayer Layer, bool Plain) l) => l.Plain ? l.Layer.DiffId : l.Layer.Digest;
        string MemberOf((ILayer Layer, bool Plain) l) => ImageDocuments.BlobPath(NameOf(l));
        var tar = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            await AddAsync(tar, "manifest.json", new MemoryStream(ImageDocuments.DockerManifest(image.ConfigDigest, [.. layers.Select(NameOf)], reference)), cancellationToken).ConfigureAwait(false);
            await AddAsync(tar, ImageDocuments.BlobPath(image.ConfigDigest), new MemoryStream(image.ConfigBytes.ToArray()), cancellationToken).ConfigureAwait(false);
            var sent = new HashSet<string>(StringComparer.Ordinal);
            foreach (var layer in layers)
            {
                if (!sent.Add(MemberOf(layer))) continue; // the same layer twice is sent once
                var data = layer.Plain
                    ? new KnownLengthStream(layer.Layer.OpenUncompressed(), ((Layer)layer.Layer).UncompressedSize, layer.Layer.DiffId)
                    : layer.Layer.OpenCompressed();
                await using (data.ConfigureAwait(false))
                    await AddAsync(tar, MemberOf(layer), data, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task AddAsync(TarWriter tar, string name, Stream data, CancellationToken cancellationToken)
    {
        var entry = new GnuTarEntry(TarEntryType.RegularFile, name) { Mode = FileMode644, ModificationTime = DateTimeOffset.UnixEpoch, DataStream = data };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A decompressing stream that says how long it is (a tar header needs it) and fails when it is not that long. It
    /// says it can seek, as TarWriter writes only such data streams into a stream that cannot; it is only read, in order.
    /// </summary>
    private sealed class KnownLengthStream(Stream inner, long length, Digest diffId) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, (int)Math.Min(count, Math.Max(0, length - _read + 1))), count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, Math.Max(0, length - _read + 1))], cancellationToken).ConfigureAwait(false), buffer.Length);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read, int asked)
        {
            _read += read;
            if (_read > length || (read == 0 && asked > 0 && _read != length))
                throw new TinyImageException($"the blob of layer {diffId} does not unpack to its {length} bytes; it was changed after it was written: build again");
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) =>
            (origin == SeekOrigin.Current && offset == 0) || (origin == SeekOrigin.Begin && offset == _read) ? _read : throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
