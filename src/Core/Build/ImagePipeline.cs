using TinyImage.Core.FileSystem;
using TinyImage.Core.Images;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// From an <see cref="ImageSpec"/> to a finished image: assemble the file tree (binaries, loader, libraries), split
/// it into layers (<see cref="LayerPlan"/>), write the layers in parallel (from the layer cache when it holds them),
/// then the image documents, and rename the archive or layout directory into place.
/// </summary>
public sealed class ImagePipeline
{
    private const string TempLayerDirectoryPrefix = ".tinyimage-layers-";

    private readonly ImagePipelineOptions _options;

    public ImagePipeline(ImagePipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxParallelLayers < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxParallelLayers, "MaxParallelLayers must be at least 1");
        _options = options;
    }

    /// <summary>Builds the image <paramref name="spec"/> describes for <paramref name="platform"/> and writes it to <paramref name="outputPath"/>.</summary>
    /// <param name="platform">The platform to build; null: the spec's only platform, else the host's.</param>
    public async Task<BuiltImage> BuildAsync(ImageSpec spec, ImageReference reference, string outputPath, CancellationToken cancellationToken, Platform? platform = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        platform ??= spec.Platforms.Length == 1 ? spec.Platforms[0] : Platform.Host();
        HostFiles files;
        if (spec.Packages is not null && _options.Roots is null)
            throw new TinyImageException(SourceLocation.Prefix(spec.Origin, "an image from Debian packages needs ImagePipelineOptions.Roots (a RootProvider) to open them"));
        try
        {
            files = spec.RootImage is { } rootImage
                ? new HostFiles(await (_options.BaseImages ?? throw new TinyImageException($"an image with the root {rootImage} needs ImagePipelineOptions.BaseImages to open it"))
                    .OpenRootAsync(rootImage, platform, cancellationToken).ConfigureAwait(false))
                : _options.Roots is { } roots
                ? await roots.OpenAsync(spec, platform, _options.Resolver.Files, cancellationToken).ConfigureAwait(false)
                : spec.Root is { } root ? new HostFiles(root) : _options.Resolver.Files;
        }
        catch (TinyImageException e) when (spec.Origin is { } origin && !e.Message.StartsWith(origin.ToString(), StringComparison.Ordinal))
        {
            throw new TinyImageException(SourceLocation.Prefix(origin, e.Message), e);
        }
        ResolvedBaseImage? baseImage = null;
        if (spec.Base is { } based)
        {
            if (_options.BaseImages is null)
                throw new TinyImageException(SourceLocation.Prefix(spec.Origin, $"an image built on {based} needs ImagePipelineOptions.BaseImages to open it"));
            try
            {
                baseImage = await _options.BaseImages.OpenAsync(based, platform, cancellationToken).ConfigureAwait(false);
            }
            catch (TinyImageException e) when (spec.Origin is { } origin && !e.Message.StartsWith(origin.ToString(), StringComparison.Ordinal))
            {
                throw new TinyImageException(SourceLocation.Prefix(origin, e.Message), e);
            }
        }
        var resolver = _options.Resolver with { Files = files };
        var assembled = new TreeAssembler(resolver, platform: platform).Assemble(spec);
        Needs.ImageReview.Review(spec, assembled.Tree, resolver, _options.Hint, _options.Strict || spec.Strict);
        if (spec.PackageMetadata) Packages.PackageMetadata.Add(assembled.Tree, files);
        var architecture = platform.Architecture;
        var entries = assembled.Tree.Entries();
        var pipeline = assembled.Layers.Count == 0 ? this
            : new ImagePipeline(_options with { LayerAssignments = [.. _options.LayerAssignments, .. assembled.Layers] });
        var config = baseImage is null ? spec.Config : BaseImageDocuments.Inherit(baseImage.Config, spec.Config);
        var image = await pipeline.BuildAsync(entries, config, architecture, reference, outputPath, cancellationToken, Explain(entries), baseImage?.Layers)
            .ConfigureAwait(false);
        return baseImage is null ? image : image with { BaseRegistry = baseImage.Registry, BaseRepository = baseImage.Repository };
    }

    /// <summary>Why each entry is in the image, as JSON: <c>[{"path":"/usr/bin/bash","reason":"AddBinary at ..."}]</c>.</summary>
    public static byte[] Explain(IReadOnlyList<FileEntry> entries)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var entry in entries.Where(e => e.Reason != "parent directory"))
            {
                json.WriteStartObject();
                json.WriteString("path", entry.Path);
                json.WriteString("reason", entry.Reason);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes an image of <paramref name="entries"/> (as <see cref="FileTree.Entries"/> returns them).</summary>
    /// <param name="architecture">The OCI architecture, e.g. <c>amd64</c>.</param>
    /// <param name="explanation">Optional: why each file is there (see <see cref="Explain"/>), kept in the archive for <c>tinyrun inspect</c>.</param>
    /// <param name="baseLayers">A base image's layers (lowest first), reused as they are beneath the new ones.</param>
    public async Task<BuiltImage> BuildAsync(
        IReadOnlyList<FileEntry> entries, ImageConfig config, string architecture, ImageReference reference, string outputPath,
        CancellationToken cancellationToken, byte[]? explanation = null, IReadOnlyList<Layer>? baseLayers = null)
    {
        var started = DateTime.UtcNow;
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var groups = LayerPlan.Split(entries, _options.LayerAssignments);
        var writer = new LayerWriter(_options.Layers);
        var cache = _options.LayerCacheDirectory is { } cacheDirectory ? new LayerCache(cacheDirectory, _options.SharedLayerCache) : null;

        // Uncached layers are written beside the output, so a rename-free copy into it stays on one file system.
        var fullOutputPath = Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath);
        var outputDirectory = Path.GetDirectoryName(fullOutputPath)!;
        SweepStaleTemporaryFiles(outputDirectory, Path.GetFileName(fullOutputPath));
        var scratch = Path.Combine(outputDirectory, TempLayerDirectoryPrefix + Path.GetRandomFileName());
        var layers = new Layer[groups.Count];
        var owned = new bool[groups.Count];
        // Held until the image is written: a prune of the cache waits, and never removes a blob this build copies.
        using var lease = cache is null ? null : await cache.LeaseAsync(cancellationToken).ConfigureAwait(false);
        FileLock? scratchLock = null;
        try
        {
            if (cache is null && groups.Count > 0)
            {
                Directory.CreateDirectory(scratch);
                scratchLock = FileLock.TryAcquire(Path.Combine(scratch, StaleTemporaryFiles.DirectoryLockName), exclusive: true);
            }
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelLayers, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, groups.Count), parallel, async (i, token) =>
            {
                if (cache is not null)
                {
                    (layers[i], _) = await cache.GetOrWriteAsync(writer, groups[i].Entries, token).ConfigureAwait(false);
                }
                else
                {
                    layers[i] = await writer.WriteAsync(groups[i].Entries, scratch, token).ConfigureAwait(false);
                    owned[i] = true;
                }
            }).ConfigureAwait(false);

            var created = _options.Layers.ModificationTime;
            IReadOnlyList<Layer> all = baseLayers is { Count: > 0 } below ? [.. below, .. layers] : layers;
            var image = _options.Format == ImageFormat.OciDirectory
                ? await new OciDirectoryWriter().WriteAsync(config, architecture, all, reference, outputPath, created, cancellationToken).ConfigureAwait(false)
                : await new ImageArchiveWriter(_options.Layers).WriteAsync(config, architecture, all, reference, outputPath, created, cancellationToken, explanation)
                    .ConfigureAwait(false);
            // Again once the image is written: an unlocked temporary file made before this build started is no live
            // build's (a live one is locked but for an instant), so what a build killed just before this one left goes too.
            var age = DateTime.UtcNow - started;
            SweepStaleTemporaryFiles(outputDirectory, Path.GetFileName(fullOutputPath), age);
            cache?.SweepStaleTemporaryFiles(age);
            return image;
        }
        finally
        {
            for (var i = 0; i < layers.Length; i++)
                if (owned[i] && layers[i] is { } layer) TemporaryFiles.TryDelete(layer.BlobPath);
            scratchLock?.Dispose();
            try { if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Removes what builds of <paramref name="outputName"/> killed left beside it (unlocked and a few seconds old): the archive's
    /// temporary file (<c>.NAME.RANDOM.tmp</c>) and uncached layers' directories; never a running build's (they are locked).
    /// </summary>
    private static void SweepStaleTemporaryFiles(string outputDirectory, string outputName, TimeSpan? minimumAge = null)
    {
        var age = minimumAge is { } given && given > StaleTemporaryFiles.MinimumAge ? given : StaleTemporaryFiles.MinimumAge;
        StaleTemporaryFiles.SweepFiles(outputDirectory, "." + outputName + ".", ".tmp", age);
        StaleTemporaryFiles.SweepDirectories(outputDirectory, TempLayerDirectoryPrefix, age);
    }
}
