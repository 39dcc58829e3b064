using System.Security.Cryptography;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Sources;

/// <summary>
/// One layer of an <see cref="ArchiveImage"/>: a member of the layout or archive, read in place. Its digest and diff_id
/// are what the manifest and config say (a <c>docker save</c> layer with neither is hashed when first asked); they are
/// claims until whoever keeps the blob checks them (the base-image store does).
/// </summary>
public sealed class ArchiveLayer : ILayer
{
    private readonly ImageFiles _files;
    private readonly Lazy<Digest> _digest;
    private readonly Lazy<Digest> _diffId;
    private readonly Lazy<string> _mediaType;

    internal ArchiveLayer(ImageFiles files, string member, Digest? digest, Digest? diffId, string? mediaType)
    {
        _files = files;
        Member = member;
        Size = files.LengthOf(member);
        _mediaType = new Lazy<string>(() => mediaType ?? Sniff());
        // Docker's layers are plain tars, whose digest is their diff_id.
        _digest = new Lazy<Digest>(() => digest ?? (diffId is { } plain && Sniff() == MediaTypes.LayerTar ? plain : Hash(OpenCompressed)));
        _diffId = new Lazy<Digest>(() => diffId ?? Hash(OpenUncompressed));
        Name = digest?.ToString() ?? member;
    }

    /// <summary>The member of the layout or archive that holds the blob, e.g. <c>blobs/sha256/…</c> or <c>abc/layer.tar</c>.</summary>
    public string Member { get; }

    /// <summary>The layer's name for people: its digest when the archive gives it, else its member.</summary>
    public string Name { get; }

    public Digest Digest => _digest.Value;

    public Digest DiffId => _diffId.Value;

    public long Size { get; }

    /// <summary>The media type the manifest gives (Docker's or OCI's), else the OCI one of the blob's first bytes.</summary>
    public string MediaType => _mediaType.Value;

    public Stream OpenCompressed() => _files.OpenMember(Member);

    /// <summary>The layer's tar: gzip or zstd, told by the blob's first bytes, is undone here.</summary>
    public Stream OpenUncompressed()
    {
        var blob = OpenCompressed();
        try
        {
            return LayerStreams.Decompress(blob, Sniff(blob));
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    private string Sniff()
    {
        using var blob = OpenCompressed();
        return Sniff(blob);
    }

    private static string Sniff(Stream blob)
    {
        Span<byte> magic = stackalloc byte[4];
        var read = blob.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        blob.Position = 0;
        return LayerStreams.MediaTypeOf(magic[..read]);
    }

    private Digest Hash(Func<Stream> open)
    {
        try
        {
            using var stream = open();
            return Digest.FromHash(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is ZstdNet.ZstdException || ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"{_files.Describe(Member)}: cannot read the layer ({ArchiveText.Printable(e.Message)}); the archive is damaged", e);
        }
    }
}
