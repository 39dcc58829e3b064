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

    /// <summary>How many of the largest files a built image names (<see cref="BuiltImage.Largest"/>).</summary>
    private const int LargestShown = 5;

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
    public Task<BuiltImage> BuildAsync(ImageSpec spec, ImageReference reference, string outputPath, CancellationToken cancellationToken, Platform? platform = null) =>
        BuildAsync(spec, reference, explanation => [OutputSink(outputPath, explanation)], cancellationToken, platform);

    /// <summary>
    /// Builds the image <paramref name="spec"/> describes for <paramref name="platform"/> and hands it to the sinks
    /// <paramref name="sinks"/> makes (given TinyImage's record of why each file is there), all at once, while its
    /// layers exist; the first sink's answer is <see cref="BuiltImage.OutputPath"/> when it is a path.
    /// </summary>
    public async Task<BuiltImage> BuildAsync(ImageSpec spec, ImageReference reference, Func<byte[], IReadOnlyList<IImageSink>> sinks, CancellationToken cancellationToken, Platform? platform = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        platform ??= spec.Platforms.Length == 1 ? spec.Platforms[0] : Platform.Host();
        Marks.At("pipeline start");
        // A build of host files whose every input is as the last build of the same key found it makes the same image:
        // its record gives the image, and only sinks that are not its archive are given it.
        var unchanged = _options.LayerCacheDirectory is { } layerCacheDirectory && UnchangedBuilds.KeyOf(spec, reference, platform, _options) is { } key
            ? (Records: new UnchangedBuilds(Path.Combine(layerCacheDirectory, UnchangedBuilds.DirectoryName)), Key: key, Cache: layerCacheDirectory)
            : default;
        Marks.At("keyed");
        if (unchanged.Key is not null && await ReuseAsync(unchanged.Records, unchanged.Key, unchanged.Cache, reference, sinks, cancellationToken).ConfigureAwait(false) is { } reused)
            return reused;
        // The caches a build reads are not its inputs: what it takes from them is checked, or made from files it records.
        var recorder = unchanged.Key is null ? null
            : new InputRecorder([unchanged.Cache, .. _options.PackageIndexDirectory is { } index ? [index] : Array.Empty<string>()], DateTimeOffset.UtcNow);
        InputRecorder.Current = recorder; // this method's flow, and the tasks it starts, from here on
        var hintsGiven = new List<string>();
        void Hint(string message)
        {
            lock (hintsGiven) hintsGiven.Add(message);
            _options.Hint(message);
        }
        var files = await OpenFilesAsync(spec, platform, cancellationToken).ConfigureAwait(false);
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
        var assembled = Assemble(spec, files, platform, Hint);
        Marks.At("assembled");
        var architecture = platform.Architecture;
        var entries = assembled.Tree.Entries();
        var pipeline = assembled.Layers.Count == 0 ? this
            : new ImagePipeline(_options with { LayerAssignments = [.. _options.LayerAssignments, .. assembled.Layers] });
        var config = baseImage is null ? assembled.Config : BaseImageDocuments.Inherit(baseImage.Config, assembled.Config);
        var imageSinks = sinks(Explain(entries));
        // The review (reading every ELF file's imports and strings) runs beside the layers' cache lookups, on the other
        // core: nothing changes the tree any more. Its hints come out, in order, before the image is handed to the sinks;
        // an image it refuses (strict, or one that cannot start) reaches none of them, and its layers stop being written.
        using var refused = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hints = new List<string>();
        // Blocking work, each on a thread of its own (LongRunning), so that it never holds a pool thread the layers'
        // and sinks' asynchronous steps are waiting for (2 cores: 2 pool threads to begin with).
        var review = Task.Factory.StartNew(() =>
        {
            try
            {
                Needs.ImageReview.Review(spec, assembled.Tree, _options.Resolver with { Files = files }, hints.Add, _options.Strict || spec.Strict, HashMemo());
                Marks.At("reviewed");
            }
            catch
            {
                refused.Cancel();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // The SBOM's document (the files' hashes, the packages' licenses) is made beside the layers and the sinks too; the
        // image's digest goes in, and the files are written, once the image is.
        var sbom = _options.WriteSbom
            ? Task.Factory.StartNew(() => Sbom.SbomDocument.Of(assembled.Tree, files, reference.ToString(), reference.ShortName, "", architecture,
                _options.Layers.ModificationTime, HashMemo()), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : null;
        var reviewed = false;
        async Task Reviewed()
        {
            if (reviewed) return;
            reviewed = true;
            try
            {
                await review.ConfigureAwait(false);
            }
            finally
            {
                foreach (var hint in hints) Hint(hint);
                hints.Clear();
            }
        }
        BuiltImage image;
        try
        {
            image = await pipeline.BuildAsync(entries, config, architecture, reference, imageSinks, refused.Token, baseImage?.Layers, Reviewed).ConfigureAwait(false);
        }
        catch when (!reviewed)
        {
            // It failed before it waited for the review (planning the layers, the scratch directory, the cache's lease):
            // the review's hints, or its refusal, come first all the same, and it is over before `refused` is disposed.
            await Reviewed().ConfigureAwait(false);
            throw;
        }
        Marks.At("sinks done");
        InputRecorder.Current = null; // what is written from here on is output
        var outputs = new List<string>();
        if (imageSinks.Count > 0 && imageSinks[0] is ImageArchiveWriter && image.WrittenTo is [var written, ..] && Path.IsPathRooted(written))
        {
            outputs.Add(written);
            if (sbom is not null)
            {
                var (spdx, cycloneDx) = await Sbom.SbomFiles.WriteBesideAsync(written, (await sbom.ConfigureAwait(false)) with { Digest = image.ManifestDigest.ToString() },
                    cancellationToken).ConfigureAwait(false);
                outputs.AddRange([spdx, cycloneDx]);
            }
        }
        Marks.At("sbom written");
        image = image with { Largest = LargestFiles.Of(entries, LargestShown), Sources = [.. entries.Select(e => e.SourcePath).OfType<string>()] };
        // The layers' blobs are outputs too: as this build wrote or checked them.
        if (recorder is { IsUsable: true } && (outputs.Count > 0 || imageSinks.Count == 0 || imageSinks[0] is not ImageArchiveWriter))
            unchanged.Records.Write(unchanged.Key!, new UnchangedBuilds.Made(recorder.Seen(),
                [.. outputs.Concat(image.Layers.Select(l => l.BlobPath)).Select(o => (o, HostFileStatus.IdentityOf(o, followLinks: false)))],
                image.ConfigBytes.ToArray(), image.ManifestBytes.ToArray(), image.Layers, [.. hintsGiven], image.Largest, image.Sources));
        return image;
    }

    /// <summary>
    /// The image the record under <paramref name="key"/> gives, handed to the sinks <paramref name="sinks"/> makes but
    /// the archive (which is as that build left it), when every input and output is as it was and the cache still holds
    /// every layer; else null, and the image is built.
    /// </summary>
    private async Task<BuiltImage?> ReuseAsync(UnchangedBuilds records, string key, string cacheDirectory, ImageReference reference, Func<byte[], IReadOnlyList<IImageSink>> sinks,
        CancellationToken cancellationToken)
    {
        if (records.Read(key) is not { } made) return null;
        Marks.At("record read");
        if (!InputRecorder.Unchanged(made.Inputs)) return null;
        Marks.At("inputs checked");
        var imageSinks = sinks([]);
        var archive = imageSinks.Count > 0 && imageSinks[0] is ImageArchiveWriter writer ? writer.OutputPath : null;
        if (imageSinks.Skip(archive is null ? 0 : 1).Any(s => s is ImageArchiveWriter or OciDirectoryWriter)) return null;
        // The archive and the SBOMs beside it, exactly as that build wrote them; a build without an archive has none.
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in made.Layers) blobs[layer.BlobPath] = "";
        var files = made.Outputs.Where(o => !blobs.ContainsKey(o.Path)).ToList();
        if (archive is null ? files.Count > 0 : files.Count == 0 || files[0].Path != archive) return null;
        if (!InputRecorder.Unchanged(files.Select(o => (o.Path, false, o.Identity)))) return null;
        if (archive is not null && _options.WriteSbom != (files.Count == 3)) return null;
        foreach (var (path, identity) in made.Outputs) if (blobs.ContainsKey(path)) blobs[path] = identity;
        // (Its lease also removes what killed builds left in the cache, as a build's first lookup does.)
        using var lease = await new LayerCache(cacheDirectory).LeaseAsync(cancellationToken).ConfigureAwait(false);
        // Each blob as that build wrote or checked it, or as the cache takes it without reading it (checked against its
        // digest since it last changed).
        foreach (var layer in made.Layers)
            if (!layer.BlobPath.StartsWith(Path.TrimEndingDirectorySeparator(cacheDirectory) + "/", StringComparison.Ordinal)
                || (!InputRecorder.Unchanged([(layer.BlobPath, false, blobs[layer.BlobPath])]) && !LayerCache.IsChecked(layer.BlobPath, layer.Digest, layer.Size)))
                return null; // (a blob outside the cache is no blob of this record's)
        foreach (var layer in made.Layers) LayerCache.TouchAccessTime(layer.BlobPath);
        Marks.At("unchanged");
        _options.Detail($"unchanged: the {made.Inputs.Count} host paths the last build of {reference} looked at are as they were; its image is used as it is");
        foreach (var hint in made.Hints) _options.Hint(hint);
        var image = new BuiltImage
        {
            Reference = reference,
            ManifestBytes = made.Manifest,
            ManifestDigest = Digest.Compute(made.Manifest),
            ConfigBytes = made.Config,
            ConfigDigest = Digest.Compute(made.Config),
            Layers = made.Layers,
            Largest = made.Largest,
            Sources = made.Sources,
        };
        var written = await Task.WhenAll(imageSinks.Select(sink => sink == imageSinks[0] && archive is not null
            ? Task.FromResult(archive) : sink.WriteAsync(image, reference, cancellationToken))).ConfigureAwait(false);
        // What killed builds left beside the archive, as a build removes it.
        if (archive is not null) SweepStaleTemporaryFiles(Path.GetDirectoryName(archive)!, Path.GetFileName(archive));
        return image with { WrittenTo = written };
    }

    /// <summary>
    /// The file tree of the image <paramref name="spec"/> describes for <paramref name="platform"/>, as a build assembles it
    /// (root, binaries, loader, libraries, package metadata), without writing anything: what <c>tinyrun deps</c> shows.
    /// </summary>
    public async Task<FileTree> AssembleAsync(ImageSpec spec, Platform? platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        platform ??= spec.Platforms.Length == 1 ? spec.Platforms[0] : Platform.Host();
        var files = await OpenFilesAsync(spec, platform, cancellationToken).ConfigureAwait(false);
        return Assemble(spec, files, platform, _options.Hint).Tree;
    }

    /// <summary>The file tree from <paramref name="files"/>, each file attributed to its package, with the package metadata the spec asks for.</summary>
    private TreeAssembler.Result Assemble(ImageSpec spec, HostFiles files, Platform platform, Action<string> hint)
    {
        var assembled = new TreeAssembler(_options.Resolver with { Files = files }, platform: platform, hint: hint).Assemble(spec);
        Marks.At("tree");
        var owners = Packages.PackageMetadata.Attribute(assembled.Tree, files, _options.Roots?.PackagesOf(files), _options.PackageIndexDirectory);
        Marks.At("attributed");
        if (spec.PackageMetadata) Packages.PackageMetadata.Add(assembled.Tree, files, owners, HashMemo());
        return assembled;
    }

    /// <summary>The files the image is made from: a base image's root, Debian packages, a directory, or the host's.</summary>
    private async Task<HostFiles> OpenFilesAsync(ImageSpec spec, Platform platform, CancellationToken cancellationToken)
    {
        if (spec.Packages is not null && _options.Roots is null)
            throw new TinyImageException(SourceLocation.Prefix(spec.Origin, "an image from Debian packages needs ImagePipelineOptions.Roots (a RootProvider) to open them"));
        try
        {
            return spec.RootImage is { } rootImage
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
    }

    /// <summary>Where files' hashes are remembered between builds: the layer cache's measurements; null without a layer cache.</summary>
    private FileHashMemo? HashMemo() =>
        _options.LayerCacheDirectory is { } layerCache ? new FileHashMemo(Path.Combine(layerCache, LayerCache.MeasurementsName)) : null;

    /// <summary>The sink of the pipeline's <see cref="ImagePipelineOptions.Format"/> at <paramref name="outputPath"/>.</summary>
    public IImageSink OutputSink(string outputPath, byte[]? explanation = null) =>
        _options.Format == ImageFormat.OciDirectory ? new OciDirectoryWriter(outputPath) : new ImageArchiveWriter(outputPath, explanation);

    /// <summary>Why each entry is in the image, as JSON: <c>[{"path":"/usr/bin/bash","reason":"AddBinary at ..."}]</c>.</summary>
    public static byte[] Explain(IReadOnlyList<FileEntry> entries)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var entry in entries.Where(e => e.Provenance != Provenance.ParentDirectory))
                Sbom.ProvenanceJson.Write(json, entry);
            json.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes an image of <paramref name="entries"/> (as <see cref="FileTree.Entries"/> returns them) to <paramref name="outputPath"/>.</summary>
    /// <param name="architecture">The OCI architecture, e.g. <c>amd64</c>.</param>
    /// <param name="explanation">Optional: why each file is there (see <see cref="Explain"/>), kept in the archive for <c>tinyrun inspect</c>.</param>
    /// <param name="baseLayers">A base image's layers (lowest first), reused as they are beneath the new ones.</param>
    public Task<BuiltImage> BuildAsync(
        IReadOnlyList<FileEntry> entries, ImageConfig config, string architecture, ImageReference reference, string outputPath,
        CancellationToken cancellationToken, byte[]? explanation = null, IReadOnlyList<Layer>? baseLayers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        return BuildAsync(entries, config, architecture, reference, [OutputSink(outputPath, explanation)], cancellationToken, baseLayers);
    }

    /// <summary>
    /// Writes the layers of <paramref name="entries"/> (from the layer cache when it holds them), makes the image and
    /// hands it to every sink at once. Layers written without the cache are deleted when the sinks are done.
    /// </summary>
    public Task<BuiltImage> BuildAsync(
        IReadOnlyList<FileEntry> entries, ImageConfig config, string architecture, ImageReference reference, IReadOnlyList<IImageSink> sinks,
        CancellationToken cancellationToken, IReadOnlyList<Layer>? baseLayers = null) =>
        BuildAsync(entries, config, architecture, reference, sinks, cancellationToken, baseLayers, beforeSinks: null);

    /// <param name="beforeSinks">Awaited once the layers are written (also when writing them failed, before that failure
    /// comes out), before any sink: a check that may refuse the image.</param>
    private async Task<BuiltImage> BuildAsync(
        IReadOnlyList<FileEntry> entries, ImageConfig config, string architecture, ImageReference reference, IReadOnlyList<IImageSink> sinks,
        CancellationToken cancellationToken, IReadOnlyList<Layer>? baseLayers, Func<Task>? beforeSinks)
    {
        var started = DateTime.UtcNow;
        InputRecorder.Current = null; // writing layers and sinks: nothing here decides what the image is
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(sinks);
        var groups = LayerPlan.Split(entries, _options.LayerAssignments);
        var writer = new LayerWriter(_options.Layers);
        var cache = _options.LayerCacheDirectory is { } cacheDirectory ? new LayerCache(cacheDirectory, _options.SharedLayerCache) : null;

        // Uncached layers are written beside the output (or in the temporary directory when there is none).
        var fullOutputPath = sinks.OfType<ImageArchiveWriter>().Select(s => s.OutputPath).Concat(sinks.OfType<OciDirectoryWriter>().Select(s => s.OutputPath)).FirstOrDefault();
        var outputDirectory = fullOutputPath is null ? Path.GetTempPath() : Path.GetDirectoryName(fullOutputPath)!;
        if (fullOutputPath is not null) SweepStaleTemporaryFiles(outputDirectory, Path.GetFileName(fullOutputPath));
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
            try
            {
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
            }
            catch when (beforeSinks is not null)
            {
                // What the check says (or its failure) comes first, as when it ran before the layers.
                await beforeSinks().ConfigureAwait(false);
                throw;
            }
            Marks.At("layers");
            if (beforeSinks is not null) await beforeSinks().ConfigureAwait(false);

            var created = _options.Layers.ModificationTime;
            IReadOnlyList<Layer> all = baseLayers is { Count: > 0 } below ? [.. below, .. layers] : layers;
            var image = BuiltImage.Of(Image.Create(config, architecture, all, created), reference, all);
            var written = await Task.WhenAll(sinks.Select(sink => sink.WriteAsync(image, reference, cancellationToken))).ConfigureAwait(false);
            // Again once the image is written: an unlocked temporary file made before this build started is no live
            // build's (a live one is locked but for an instant), so what a build killed just before this one left goes too.
            var age = DateTime.UtcNow - started;
            if (fullOutputPath is not null) SweepStaleTemporaryFiles(outputDirectory, Path.GetFileName(fullOutputPath), age);
            cache?.SweepStaleTemporaryFiles(age);
            return image with { WrittenTo = written };
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
    /// Removes what builds of <paramref name="outputName"/> killed left beside it (unlocked, and older than
    /// <see cref="StaleTemporaryFiles.MinimumAge"/> or, once this build has run <paramref name="buildAge"/>, older than the
    /// build): the archive's temporary file (<c>.NAME.RANDOM.tmp</c>) and uncached layers' directories; never a running
    /// build's (they are locked).
    /// </summary>
    private static void SweepStaleTemporaryFiles(string outputDirectory, string outputName, TimeSpan? buildAge = null)
    {
        var age = buildAge is not { } given ? StaleTemporaryFiles.MinimumAge
            : given > StaleTemporaryFiles.CreationInstant ? given : StaleTemporaryFiles.CreationInstant;
        StaleTemporaryFiles.SweepFiles(outputDirectory, "." + outputName + ".", ".tmp", age);
        StaleTemporaryFiles.SweepDirectories(outputDirectory, TempLayerDirectoryPrefix, age);
    }
}
