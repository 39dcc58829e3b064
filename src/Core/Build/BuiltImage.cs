using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// An image the <see cref="ImagePipeline"/> built: the image itself (<see cref="IImage"/>), its name, the numbers that
/// describe it, and where the sinks it was given put it.
/// </summary>
public sealed record BuiltImage : IImage
{
    public required ImageReference Reference { get; init; }

    public required ReadOnlyMemory<byte> ManifestBytes { get; init; }

    public required Digest ManifestDigest { get; init; }

    public string ManifestMediaType => MediaTypes.ImageManifest;

    public required ReadOnlyMemory<byte> ConfigBytes { get; init; }

    public required Digest ConfigDigest { get; init; }

    /// <summary>
    /// The layers, base first. A layer the layer cache holds stays readable; one written without the cache was deleted
    /// once the sinks had it (<see cref="Layer.BlobPath"/> is gone).
    /// </summary>
    public required IReadOnlyList<Layer> Layers { get; init; }

    IReadOnlyList<ILayer> IImage.Layers => Layers;

    /// <summary>Sum of the compressed layer sizes, in bytes.</summary>
    public long CompressedSize => Layers.Sum(l => l.Size);

    /// <summary>Sum of the sizes of the regular files in all layers, in bytes.</summary>
    public long ContentSize => Layers.Sum(l => l.ContentSize);

    /// <summary>Number of regular files in all layers.</summary>
    public int FileCount => Layers.Sum(l => l.FileCount);

    /// <summary>The largest files, largest first, each with what pulled it in (empty for images built from entries alone).</summary>
    public IReadOnlyList<LargeFile> Largest { get; init; } = [];

    /// <summary>The host files the image's files were copied from (empty for images built from entries alone).</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>What each sink returned, in the order given: where the image is now (a path, <c>registry/repo@sha256:…</c>).</summary>
    public IReadOnlyList<string> WrittenTo { get; init; } = [];

    /// <summary>Absolute path of the archive or layout the build wrote: the first sink's answer.</summary>
    /// <exception cref="InvalidOperationException">The build was given no archive or layout to write.</exception>
    public string OutputPath => WrittenTo.Count > 0 && Path.IsPathRooted(WrittenTo[0]) ? WrittenTo[0]
        : throw new InvalidOperationException($"{Reference} was written to no archive or layout");

    /// <summary>Size of the archive file (or of all files of a layout), in bytes.</summary>
    public long ArchiveSize => Directory.Exists(OutputPath)
        ? new DirectoryInfo(OutputPath).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
        : new FileInfo(OutputPath).Length;

    /// <summary>The image of <paramref name="image"/>'s documents with the pipeline's own layers.</summary>
    internal static BuiltImage Of(Image image, ImageReference reference, IReadOnlyList<Layer> layers) => new()
    {
        Reference = reference,
        ManifestBytes = image.ManifestBytes,
        ManifestDigest = image.ManifestDigest,
        ConfigBytes = image.ConfigBytes,
        ConfigDigest = image.ConfigDigest,
        Layers = [.. layers],
    };
}
