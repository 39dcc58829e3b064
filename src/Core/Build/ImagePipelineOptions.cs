using System.Globalization;
using TinyImage.Core.Elf;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Build;

/// <summary>How images are resolved and written.</summary>
public sealed record ImagePipelineOptions
{
    /// <summary>The environment variable that makes <see cref="FromEnvironment"/> strict when it is 1 (tinyrun's <c>--strict</c> sets it).</summary>
    public const string StrictVariable = "TINYRUN_STRICT";

    public ResolverOptions Resolver { get; init; } = new();
    public LayerOptions Layers { get; init; } = new();

    /// <summary>A tar that is both an OCI layout and a <c>docker load</c> archive (default), or an OCI layout directory.</summary>
    public ImageFormat Format { get; init; } = ImageFormat.Archive;

    /// <summary>
    /// Where compressed layers are cached (see <see cref="LayerCache"/>); null (the default here) compresses every layer
    /// every time. <see cref="FromEnvironment"/> sets <see cref="LayerCache.DefaultDirectory"/>.
    /// </summary>
    public string? LayerCacheDirectory { get; init; }

    /// <summary>How many layers are compressed at once; defaults to the number of processors.</summary>
    public int MaxParallelLayers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Layers the recipe named (<c>.Layer("name", l => ...)</c>), in order; the rest is split by <see cref="LayerPlan"/>'s
    /// default (libc, libraries, application).
    /// </summary>
    public IReadOnlyList<LayerAssignment> LayerAssignments { get; init; } = [];

    /// <summary>
    /// Opens the roots of images built from Debian packages (and their lock file); null: such images cannot be built
    /// (a sysroot or the host still can).
    /// </summary>
    public RootProvider? Roots { get; init; }

    /// <summary>A layer cache shared between machines (<c>--cache-repo</c>), behind <see cref="LayerCacheDirectory"/>; null: none.</summary>
    public ISharedLayerCache? SharedLayerCache { get; init; }

    /// <summary>Opens the base images of recipes that start <c>From.Image</c>, <c>From.Archive</c> or <c>From.Layout</c>; null: they cannot be built.</summary>
    public Images.BaseImageProvider? BaseImages { get; init; }

    /// <summary>Where an index of a root's dpkg database is kept between builds (<see cref="Packages.DpkgOwnerIndex"/>); null: the lists are read on every build.</summary>
    public string? PackageIndexDirectory { get; init; }

    /// <summary>Write the image's SBOMs beside it (<c>NAME.spdx.json</c>, <c>NAME.cdx.json</c>; see <see cref="Sbom.SbomFiles"/>).</summary>
    public bool WriteSbom { get; init; }

    /// <summary>Where build hints go, a line each (runtime needs the image leaves unmet, notes); <see cref="FromEnvironment"/> writes them to stderr.</summary>
    public Action<string> Hint { get; init; } = _ => { };

    /// <summary>Where details of how a build went go, a line each (tinyrun --verbose); none by default.</summary>
    public Action<string> Detail { get; init; } = _ => { };

    /// <summary>Unmet runtime needs fail the build (<c>--strict</c>, or TINYRUN_STRICT=1 in <see cref="FromEnvironment"/>).</summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Defaults, with file and image times taken from SOURCE_DATE_EPOCH when it is set, and the layer cache in
    /// <c>layers/</c> under the runner's cache root (<c>$TINYRUN_CACHE</c>, <c>$XDG_CACHE_HOME/tinyrun</c>, <c>~/.cache/tinyrun</c>),
    /// created if needed and refused when others could write it (<see cref="PrivateDirectory"/>).
    /// </summary>
    public static ImagePipelineOptions FromEnvironment()
    {
        var layerCache = PrivateDirectory.Ensure(LayerCache.DefaultDirectory(), "the layer cache", "set TINYRUN_CACHE to a directory of your own");
        var options = new ImagePipelineOptions
        {
            LayerCacheDirectory = layerCache,
            PackageIndexDirectory = PrivateDirectory.Ensure(Path.Combine(CacheLocation.Root(), "dpkg"), "the dpkg index cache", "set TINYRUN_CACHE to a directory of your own"),
            Hint = message => Console.Error.WriteLine(message),
            Strict = Environment.GetEnvironmentVariable(StrictVariable) == "1",
        };
        var epoch = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(epoch)) return options;
        if (!long.TryParse(epoch, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
            throw new TinyImageException($"SOURCE_DATE_EPOCH='{epoch}' is not a number of seconds since 1970; set it to e.g. $(git log -1 --format=%ct) or unset it");
        return options with { Layers = options.Layers with { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(seconds) } };
    }
}
