using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.Oci;

/// <summary>Archives made straight from entries or finished layers, without a pipeline: one layer (none for no entries), then <see cref="ImageArchiveWriter"/>.</summary>
internal static class TestArchives
{
    /// <summary>An image of one layer holding <paramref name="entries"/> (none when there are none), dated <see cref="LayerOptions.ModificationTime"/>.</summary>
    public static async Task<BuiltImage> WriteAsync(
        IReadOnlyList<FileEntry> entries, ImageConfig config, string architecture, ImageReference reference, string outputPath,
        CancellationToken cancellationToken, LayerOptions? options = null)
    {
        options ??= new LayerOptions();
        var directory = ImageArchiveWriter.PrepareOutputDirectory(outputPath);
        var layers = new List<Layer>();
        try
        {
            if (entries.Count > 0)
                layers.Add(await new LayerWriter(options).WriteAsync(entries, directory, cancellationToken));
            return await WriteAsync(config, architecture, layers, reference, outputPath, options.ModificationTime, cancellationToken);
        }
        finally
        {
            foreach (var layer in layers) File.Delete(layer.BlobPath);
        }
    }

    /// <summary>An image of finished <paramref name="layers"/> (the caller's; read, not moved).</summary>
    public static async Task<BuiltImage> WriteAsync(
        ImageConfig config, string architecture, IReadOnlyList<Layer> layers, ImageReference reference, string outputPath,
        DateTimeOffset created, CancellationToken cancellationToken, byte[]? explanation = null, bool layout = false)
    {
        var image = Image.Create(config, architecture, layers, created);
        IImageSink sink = layout ? new OciDirectoryWriter(outputPath) : new ImageArchiveWriter(outputPath, explanation);
        var written = await sink.WriteAsync(image, reference, cancellationToken);
        return BuiltImage.Of(image, reference, layers) with { WrittenTo = [written] };
    }
}
