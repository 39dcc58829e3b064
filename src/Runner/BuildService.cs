using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.Debian;
using TinyImage.Core.Images;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary>
/// The one way tinyrun's commands build: evaluate a recipe, name its images, and make the <see cref="ImagePipeline"/>
/// with the roots, base images, registry and caches those images need. <c>build</c>, <c>test</c>, <c>verify</c> and
/// <c>deps</c> all come through here.
/// </summary>
internal sealed class BuildService : IDisposable
{
    private const string RecipeSuffix = ".tiny.csx";

    private readonly ImagePipelineOptions _pipelineOptions;

    private readonly bool _ownsRegistry;

    private BuildService(string recipePath, IReadOnlyList<(ImageSpec Spec, ImageReference Reference)> images, RegistryClient? registry, bool ownsRegistry, ImagePipelineOptions pipelineOptions)
    {
        RecipePath = recipePath;
        Images = images;
        Registry = registry;
        _ownsRegistry = ownsRegistry;
        _pipelineOptions = pipelineOptions;
        Pipeline = new ImagePipeline(pipelineOptions);
    }

    public string RecipePath { get; }

    /// <summary>The recipe's images with their names: --tag, else their Tag, else the recipe's name.</summary>
    public IReadOnlyList<(ImageSpec Spec, ImageReference Reference)> Images { get; }

    /// <summary>The registry client, when an image needs one (a base image from a registry, --push, --cache-repo); else null.</summary>
    public RegistryClient? Registry { get; }

    public ImagePipeline Pipeline { get; }

    /// <summary>The same pipeline, compressing layers with <paramref name="compression"/>.</summary>
    public ImagePipeline PipelineWith(LayerCompression compression) =>
        new(_pipelineOptions with { Layers = _pipelineOptions.Layers with { Compression = compression } });

    /// <summary>How a command wants its images built.</summary>
    internal sealed record Options
    {
        public IReadOnlyDictionary<string, string> Arguments { get; init; } = new Dictionary<string, string>();
        public bool UseRecipeCache { get; init; } = true;
        public ImageReference? Tag { get; init; }
        public ImageFormat Format { get; init; } = ImageFormat.Archive;
        public LayerCompression Compression { get; init; } = LayerCompression.Gzip;
        public LockMode LockMode { get; init; } = LockMode.Update;

        /// <summary>Use the layer cache (verify does not: it shows that the recipe alone gives the image).</summary>
        public bool UseLayerCache { get; init; } = true;

        /// <summary>A registry client is needed even when no image's base is in one (--push).</summary>
        public bool NeedsRegistry { get; init; }

        /// <summary>The registry client to use, made (and disposed) by the caller before the recipe was evaluated; null: one is made when needed.</summary>
        public RegistryClient? Registry { get; init; }

        public string? CacheRepository { get; init; }
        public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

        /// <summary>Write SPDX and CycloneDX documents beside each archive or layout (not with --no-sbom, -o -).</summary>
        public bool WriteSbom { get; init; }
    }

    /// <summary>Evaluates the recipe at <paramref name="recipePath"/> and prepares the pipeline its images need.</summary>
    public static async Task<BuildService> OpenAsync(string recipePath, Options options, Reporter reporter, CancellationToken cancellationToken)
    {
        var evaluator = new RecipeEvaluator(options.UseRecipeCache, reporter.Detail);
        var specs = await evaluator.EvaluateAsync(recipePath, options.Arguments, cancellationToken).ConfigureAwait(false);
        if (specs.Count == 0)
            throw new TinyImageException($"{recipePath}: the recipe defines no image; start one with From.Scratch()");
        if (options.Tag is not null && specs.Count > 1)
            throw new TinyImageException($"{recipePath}: --tag names one image but the recipe defines {specs.Count}; set .Tag(...) in the recipe instead");
        var named = Name(specs, recipePath, options.Tag);
        var ownsRegistry = options.Registry is null;
        var registry = options.Registry ?? (options.NeedsRegistry || options.CacheRepository is not null || specs.Any(s => s.Base?.Kind == BaseImageKind.Registry || s.RootImage?.Kind == BaseImageKind.Registry)
            ? NewRegistryClient(options.InsecureRegistries, reporter)
            : null);
        try
        {
            var defaults = ImagePipelineOptions.FromEnvironment();
            var pipelineOptions = defaults with
            {
                Format = options.Format,
                Layers = defaults.Layers with { Compression = options.Compression },
                LayerCacheDirectory = options.UseLayerCache ? defaults.LayerCacheDirectory : null,
                Roots = Roots(recipePath, options.LockMode, reporter),
                BaseImages = specs.Any(s => s.Base is not null || s.RootImage is not null)
                    ? new BaseImageProvider(new BlobStore(), registry is null ? null : new RegistryBaseImages(registry), warn: Warn) : null,
                SharedLayerCache = options.CacheRepository is { } repository ? SharedLayers(repository, registry!) : null,
                WriteSbom = options.WriteSbom,
                Hint = reporter.Hint,
                Detail = reporter.Detail,
            };
            return new BuildService(recipePath, named, registry, ownsRegistry, pipelineOptions);
        }
        catch
        {
            if (ownsRegistry) registry?.Dispose();
            throw;
        }
    }

    /// <summary>A warning: one line on stderr, whatever the verbosity.</summary>
    private static void Warn(string message) => Console.Error.WriteLine("tinyrun: warning: " + message);

    /// <summary>A registry client that speaks plain HTTP to loopback registries and to <paramref name="insecureRegistries"/>.</summary>
    public static RegistryClient NewRegistryClient(IReadOnlyList<string> insecureRegistries, Reporter reporter) =>
        new(new RegistryOptions { InsecureHosts = new HashSet<string>(insecureRegistries, StringComparer.OrdinalIgnoreCase), Log = reporter.Detail });

    /// <summary>The pipeline that <c>deps</c> assembles files with: no recipe, the host's (or <paramref name="root"/>'s) files.</summary>
    public static ImagePipeline ForFiles(ResolverOptions resolver) => new(ImagePipelineOptions.FromEnvironment() with { Resolver = resolver });

    public void Dispose()
    {
        if (_ownsRegistry) Registry?.Dispose();
    }

    /// <summary>The roots of images from Debian packages, pinned by the lock file beside the recipe; downloads are reported as steps.</summary>
    internal static RootProvider Roots(string recipePath, LockMode mode, Reporter reporter)
    {
        var lastShown = DateTime.MinValue;
        var progress = new Progress<PackageDownloadProgress>(p =>
        {
            // Plain lines, at most one a second (and the last), so a log stays short and a terminal stays readable.
            if (p.PackagesLeft > 0 && DateTime.UtcNow - lastShown < TimeSpan.FromSeconds(1)) return;
            lastShown = DateTime.UtcNow;
            reporter.Step($"packages: {Sizes.Format(p.BytesDone)} of {Sizes.Format(p.BytesTotal)} downloaded, {p.PackagesLeft} to go");
        });
        return new RootProvider(new DebianOptions { Progress = progress }, RootProvider.LockPathFor(Path.GetFullPath(recipePath)), mode);
    }

    /// <summary>The layer cache shared through <paramref name="repository"/> (REGISTRY/REPO); its warnings go to stderr.</summary>
    private static RegistryLayerCache SharedLayers(string repository, RegistryClient registry) =>
        new(registry, CommandLineValues.CacheRepositoryOf(repository), Warn);

    /// <summary>Gives every spec its reference: --tag, else its Tag, else the recipe's name (name-2, name-3... when several).</summary>
    internal static List<(ImageSpec Spec, ImageReference Reference)> Name(IReadOnlyList<ImageSpec> specs, string recipePath, ImageReference? overrideReference)
    {
        var fileName = Path.GetFileName(recipePath);
        var stem = fileName.EndsWith(RecipeSuffix, StringComparison.Ordinal) ? fileName[..^RecipeSuffix.Length] : Path.GetFileNameWithoutExtension(fileName);
        var result = new List<(ImageSpec, ImageReference)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            var reference = overrideReference ?? (specs[i].Reference is { } r ? ImageReference.Parse(r) : DefaultReference(stem, i, recipePath));
            if (!seen.Add(reference.ToString()))
                throw new TinyImageException($"{SourceLocation.Prefix(specs[i].Origin, $"two images are named {reference}")}; give each a different .Tag(...)");
            result.Add((specs[i], reference));
        }
        return result;
    }

    private static ImageReference DefaultReference(string stem, int index, string recipePath)
    {
        var name = stem.ToLowerInvariant() + (index == 0 ? "" : $"-{index + 1}");
        return ImageReference.TryParse(name, out var reference, out _)
            ? reference
            : throw new TinyImageException($"{recipePath}: '{stem}' is not a valid image name; add .Tag(\"name:tag\") to the recipe or pass --tag");
    }
}
