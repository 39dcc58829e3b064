using System.CommandLine;
using Microsoft.Win32.SafeHandles;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Debian;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Images;
using TinyImage.Core.Registry;
using TinyImage.Core.Layers;
using TinyImage.Core.Sinks;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary><c>tinyrun [build] RECIPE [--output PATH] [--load] [--tag NAME:TAG]</c>: builds every image a recipe defines.</summary>
internal static class BuildCommand
{
    private const string RecipeSuffix = ".tiny.csx";

    /// <summary>The <c>--output</c> that writes the archive to stdout.</summary>
    private const string StandardOutput = "-";

    public static Command Create()
    {
        var command = new Command("build", """
            Build the images a recipe defines (the default command: 'tinyrun RECIPE' is 'tinyrun build RECIPE').

            Examples:
              tinyrun build recipes/hello.tiny.csx
              tinyrun build recipes/bash-ls.tiny.csx --load --tag ls:dev
            """);
        AddTo(command, asRoot: false);
        return command;
    }

    public static void AddTo(Command command, bool asRoot)
    {
        var recipe = new Argument<string>("recipe")
        {
            Description = "The recipe file, e.g. recipes/hello.tiny.csx.",
            Arity = asRoot ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Where to write the image archive (default out/<name>.tar); a directory when the recipe defines several images; - for stdout.",
        };
        var load = new Option<bool>("--load") { Description = "Also load the image into the Docker engine at DOCKER_HOST or /var/run/docker.sock." };
        var tag = new Option<string?>("--tag", "-t") { Description = "Name the image NAME:TAG instead of the recipe's Tag (one image only)." };
        var args = new Option<string[]>("--arg", "-a") { Description = "A recipe parameter NAME=VALUE, read in the recipe as Args[\"NAME\"]; repeatable.", AllowMultipleArgumentsPerToken = false };
        var noCache = new Option<bool>("--no-cache") { Description = "Compile the recipe even if the compiled-recipe cache holds it." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only results and errors." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print details: cache use, files, layers." };
        var format = new Option<string>("--format") { Description = "tar (default): one archive that is both an OCI layout and a docker-load tar; oci-dir: an OCI image layout directory.", DefaultValueFactory = _ => "tar" };
        format.AcceptOnlyFromAmong("tar", "oci-dir");
        var compression = new Option<string>("--compression") { Description = "Layer compression: gzip (default; the same bytes on every machine), gzip-fast (the .NET runtime's zlib: faster, bytes may differ between runtimes) or zstd (needs Docker 23 or newer to load).", DefaultValueFactory = _ => "gzip" };
        compression.AcceptOnlyFromAmong("gzip", "gzip-fast", "zstd");
        var platform = new Option<string?>("--platform") { Description = "Build for this platform, e.g. linux/arm64 (default: the recipe's only .Platforms, else the host's)." };
        var locked = new Option<bool>("--locked") { Description = "Fail when the recipe's lock file (NAME.tiny.lock) lacks a package set or would change (for CI)." };
        var push = new Option<bool>("--push") { Description = "Also push every image to the registry its name gives (.Tag(\"registry:5000/team/app:1\") or --tag); prints NAME@sha256:... per image." };
        var cacheRepo = new Option<string?>("--cache-repo") { Description = "Share compressed layers through this registry repository (REGISTRY/REPO; default TINYRUN_CACHE_REPO): looked up before compressing, stored after." };
        var noSbom = new Option<bool>("--no-sbom") { Description = "Do not write the SBOMs (out/<name>.spdx.json, SPDX 2.3, and out/<name>.cdx.json, CycloneDX 1.5) beside the image." };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "Talk plain HTTP to this registry HOST[:PORT] (loopback registries always may); repeatable.", AllowMultipleArgumentsPerToken = false };
        command.Arguments.Add(recipe);
        foreach (var option in new Option[] { output, load, tag, args, noCache, quiet, verbose, format, compression, platform, locked, push, insecure, cacheRepo, noSbom }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(recipe);
            if (path is null)
            {
                Console.Error.WriteLine("tinyrun: give a recipe to build, e.g. 'tinyrun recipes/hello.tiny.csx'; see 'tinyrun --help'.");
                return Program.ExitUsage;
            }
            var settings = new Settings(path, parse.GetValue(output), parse.GetValue(load), parse.GetValue(tag),
                ParseArguments(parse.GetValue(args) ?? []), !parse.GetValue(noCache))
            {
                Format = parse.GetValue(format) == "oci-dir" ? ImageFormat.OciDirectory : ImageFormat.Archive,
                Compression = parse.GetValue(compression) switch { "zstd" => LayerCompression.Zstd, "gzip-fast" => LayerCompression.GzipFast, _ => LayerCompression.Gzip },
                Platforms = parse.GetValue(platform) is { } p ? [.. p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Platform.Parse).Distinct()] : [],
                LockMode = parse.GetValue(locked) ? LockMode.Locked : LockMode.Update,
                Push = parse.GetValue(push),
                Sbom = !parse.GetValue(noSbom),
                InsecureRegistries = parse.GetValue(insecure) ?? [],
                CacheRepository = parse.GetValue(cacheRepo) is { Length: > 0 } repo ? repo
                    : Environment.GetEnvironmentVariable("TINYRUN_CACHE_REPO") is { Length: > 0 } fromEnvironment ? fromEnvironment : null,
            };
            if (settings.Load && settings.Format == ImageFormat.OciDirectory)
            {
                Console.Error.WriteLine("tinyrun: --load needs the tar format; drop --format oci-dir, or load the directory with skopeo copy oci:DIR docker-daemon:NAME");
                return Program.ExitUsage;
            }
            if (settings.Output == StandardOutput && settings.Format == ImageFormat.OciDirectory)
            {
                Console.Error.WriteLine("tinyrun: -o - writes a tar archive to stdout but --format oci-dir writes a directory; give a directory with -o DIR, or drop --format oci-dir");
                return Program.ExitUsage;
            }
            if (settings.Output == StandardOutput && !Console.IsOutputRedirected)
            {
                Console.Error.WriteLine("tinyrun: -o - writes the archive to stdout, which is a terminal; redirect it: -o - > image.tar, or -o - | docker load");
                return Program.ExitUsage;
            }
            return await RunAsync(settings, new Reporter(parse.GetValue(quiet), parse.GetValue(verbose)), cancellationToken).ConfigureAwait(false);
        });
    }

    internal sealed record Settings(string Recipe, string? Output, bool Load, string? Tag, IReadOnlyDictionary<string, string> Arguments, bool UseCache)
    {
        public ImageFormat Format { get; init; } = ImageFormat.Archive;
        public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

        /// <summary>The platforms to build (--platform); empty: the recipe's (several only for --push and oci-dir), else the host's.</summary>
        public IReadOnlyList<Platform> Platforms { get; init; } = [];

        public LockMode LockMode { get; init; } = LockMode.Update;

        /// <summary>Push every image to the registry its name gives (--push).</summary>
        public bool Push { get; init; }

        /// <summary>Write the SBOMs beside each image (unless --no-sbom).</summary>
        public bool Sbom { get; init; } = true;

        /// <summary>The registry repository that shares compressed layers between machines (--cache-repo, TINYRUN_CACHE_REPO), or null.</summary>
        public string? CacheRepository { get; init; }

        /// <summary>Registries (HOST[:PORT]) spoken to over plain HTTP (--insecure-registry).</summary>
        public IReadOnlyList<string> InsecureRegistries { get; init; } = [];
    }

    private static async Task<int> RunAsync(Settings settings, Reporter reporter, CancellationToken cancellationToken)
    {
        await BuildAsync(settings, reporter, cancellationToken).ConfigureAwait(false);
        return Program.ExitOk;
    }

    /// <summary>
    /// Builds (and with <see cref="Settings.Load"/>, loads) every image of the recipe; prints a summary line for each.
    /// With <c>-o -</c> the one image's archive is built in a temporary directory, loaded if asked, then copied to
    /// stdout; results and anything the recipe prints go to stderr.
    /// </summary>
    internal static async Task<IReadOnlyList<(ImageSpec Spec, BuiltImage Image)>> BuildAsync(Settings settings, Reporter reporter, CancellationToken cancellationToken)
    {
        if (settings.Output != StandardOutput) return await BuildAsync(settings, reporter, archiveStream: null, cancellationToken).ConfigureAwait(false);
        // fd 1 itself, not Console.OpenStandardOutput(): a Console stream holds Console's lock while a write blocks (a
        // reader that stalls), and every Console write, a signal handler's message included, would wait for it.
        using var archiveStream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        Console.SetOut(Console.Error); // stdout carries the archive, and nothing else
        var scratch = Directory.CreateTempSubdirectory("tinyrun-stdout-").FullName;
        try
        {
            return await BuildAsync(settings with { Output = scratch + "/" }, reporter, archiveStream, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static async Task<IReadOnlyList<(ImageSpec Spec, BuiltImage Image)>> BuildAsync(Settings settings, Reporter reporter, Stream? archiveStream, CancellationToken cancellationToken)
    {
        var built = new List<(ImageSpec, BuiltImage)>();
        var (recipePath, output, load, tagOverride) = (settings.Recipe, settings.Output, settings.Load, settings.Tag);
        ImageReference? overrideReference = tagOverride is null ? null : ImageReference.Parse(tagOverride);
        using var daemon = load ? new DockerDaemon() : null;
        var evaluator = new RecipeEvaluator(settings.UseCache, reporter.Detail);
        var specs = await evaluator.EvaluateAsync(recipePath, settings.Arguments, cancellationToken).ConfigureAwait(false);
        if (specs.Count == 0)
            throw new TinyImageException($"{recipePath}: the recipe defines no image; start one with From.Scratch()");
        if (overrideReference is not null && specs.Count > 1)
            throw new TinyImageException($"{recipePath}: --tag names one image but the recipe defines {specs.Count}; set .Tag(...) in the recipe instead");

        var named = Name(specs, recipePath, overrideReference);
        if (archiveStream is not null && named.Count > 1)
            throw new TinyImageException($"{recipePath}: -o - writes one archive to stdout but the recipe defines {named.Count} images; give a directory with -o DIR");
        var outputs = named.GroupBy(n => Path.GetFullPath(OutputPath(output, n.Reference, named.Count, settings.Format == ImageFormat.OciDirectory ? "" : ".tar")))
            .FirstOrDefault(g => g.Count() > 1);
        if (outputs is not null)
            throw new TinyImageException($"{recipePath}: {string.Join(" and ", outputs.Select(n => n.Reference))} would both be written to {outputs.Key}; give the images different names (the file is named after the last part of the name)");
        foreach (var (_, reference) in named)
            RefuseUnreplaceableOutput(OutputPath(output, reference, named.Count, settings.Format == ImageFormat.OciDirectory ? "" : ".tar"), settings.Format);
        // Ask the engine, on other threads while the images are built, which image each name has now.
        var inEngine = named.ToDictionary(n => n.Reference, n => daemon is null ? Task.FromResult<string?>(null)
            : Task.Run(() => daemon.ImageIdAsync(n.Reference.ToString(), cancellationToken), cancellationToken));
        var defaults = ImagePipelineOptions.FromEnvironment();
        using var registry = settings.Push || settings.CacheRepository is not null || specs.Any(s => s.Base?.Kind == BaseImageKind.Registry || s.RootImage?.Kind == BaseImageKind.Registry) ? Registry(settings.InsecureRegistries, reporter) : null;
        var pipeline = new ImagePipeline(defaults with
        {
            Format = settings.Format,
            Layers = defaults.Layers with { Compression = settings.Compression },
            Roots = Roots(recipePath, settings.LockMode, reporter),
            BaseImages = BaseImages(specs, registry),
            SharedLayerCache = settings.CacheRepository is { } cacheRepository ? SharedLayers(cacheRepository, registry!, reporter) : null,
            WriteSbom = settings.Sbom && archiveStream is null,
        });
        foreach (var (spec, reference) in named)
        {
            var target = OutputPath(output, reference, named.Count, settings.Format == ImageFormat.OciDirectory ? "" : ".tar");
            var platforms = PlatformsOf(spec, settings.Platforms, several: settings.Push || settings.Format == ImageFormat.OciDirectory);
            if (platforms.Count > 1)
            {
                if (daemon is not null || archiveStream is not null)
                    throw new TinyImageException(SourceLocation.Prefix(spec.Origin, $"{reference} is built for {string.Join(" and ", platforms)}, but {(daemon is null ? "-o -" : "--load")} takes one platform; pick one with --platform"));
                built.AddRange(await BuildPlatformsAsync(pipeline, spec, reference, platforms, target, settings, registry, reporter, cancellationToken).ConfigureAwait(false));
                continue;
            }
            var platform = platforms[0];
            reporter.Step($"building {reference}{(platform is null ? "" : $" for {platform}")}");
            reporter.Detail($"recipe evaluated; building {reference}");
            var image = await pipeline.BuildAsync(spec, reference, target, cancellationToken, platform).ConfigureAwait(false);
            foreach (var layer in image.Layers)
                reporter.Detail($"layer {layer.Digest}: {layer.FileCount} files, {Sizes.Format(layer.ContentSize)} -> {Sizes.Format(layer.Size)} {settings.Compression.ToString().ToLowerInvariant()}");
            var shown = archiveStream is null ? Path.GetRelativePath(Environment.CurrentDirectory, image.OutputPath) : "stdout";
            if (daemon is not null)
            {
                var notLoaded = archiveStream is null ? $"the archive {shown} was written but not loaded" : "nothing was loaded or written to stdout";
                try
                {
                    // An image is its config: when the engine's image of this name has our config's digest, it is this image.
                    if (await inEngine[reference].ConfigureAwait(false) == image.ConfigDigest.ToString())
                    {
                        reporter.Detail($"{reference} is already in the Docker engine ({image.ConfigDigest})");
                    }
                    else
                    {
                        reporter.Step($"loading {reference} into the Docker engine at {daemon.Endpoint} ({Sizes.Format(image.ArchiveSize)})");
                        await daemon.LoadAsync(image, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (TinyImageException e)
                {
                    throw new TinyImageException($"{e.Message}; {notLoaded}", e);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TinyImageException($"the Docker engine at {daemon.Endpoint} did not answer in time (is it hung? docker info tells); {notLoaded}", e);
                }
            }
            if (archiveStream is not null)
            {
                await using var archive = File.OpenRead(image.OutputPath);
                await archive.CopyToAsync(archiveStream, cancellationToken).ConfigureAwait(false);
                await archiveStream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            if (registry is not null && settings.Push)
            {
                var destination = PushTarget(reference, spec);
                reporter.Step($"pushing {destination}");
                var mountFrom = image.BaseRegistry == destination.Registry && image.BaseRepository != destination.Repository ? image.BaseRepository : null;
                var digest = await new RegistryPush(registry).PushAsync(image, destination, cancellationToken, mountFrom).ConfigureAwait(false);
                reporter.Step(Summary(image, shown, loaded: daemon is not null));
                Reporter.Result($"{destination.Name}@{digest}");
            }
            else
            {
                Reporter.Result(Summary(image, shown, loaded: daemon is not null));
            }
            built.Add((spec, image));
        }
        reporter.Detail(AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true)
            ? "roslyn: loaded" : "roslyn: not loaded");
        if (daemon is not null) // a load is plain HTTP (DockerDaemon); Docker.DotNet starts only to run containers
            reporter.Detail(AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Docker.DotNet") ? "docker.dotnet: loaded" : "docker.dotnet: not loaded");
        return built;
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

    /// <summary>Opens base images (<c>From.Image</c>, <c>From.Archive</c>, <c>From.Layout</c>) when a recipe has some; else null.</summary>
    internal static BaseImageProvider? BaseImages(IReadOnlyList<ImageSpec> specs, RegistryClient? registry) =>
        specs.Any(s => s.Base is not null || s.RootImage is not null) ? new BaseImageProvider(new BlobStore(), registry is null ? null : new RegistryBaseImages(registry)) : null;

    /// <summary>A registry client with the user's credentials (Docker config, containers auth.json); its requests are details.</summary>
    internal static RegistryClient Registry(IReadOnlyList<string> insecureRegistries, Reporter reporter) => new(new RegistryOptions
    {
        InsecureHosts = new HashSet<string>(insecureRegistries, StringComparer.OrdinalIgnoreCase),
        Log = reporter.Detail,
    });

    /// <summary>The layer cache shared through <paramref name="repository"/> (REGISTRY/REPO); its warnings are steps.</summary>
    private static RegistryLayerCache SharedLayers(string repository, RegistryClient registry, Reporter reporter) =>
        RegistryReference.TryParse(repository, out var parsed) && parsed.Digest is null
            ? new RegistryLayerCache(registry, parsed, message => Console.Error.WriteLine("tinyrun: warning: " + message))
            : throw new TinyImageException($"--cache-repo '{repository}': not a registry repository; write REGISTRY/REPO, e.g. 127.0.0.1:5000/tinyrun-cache");

    /// <summary>Where <c>--push</c> sends an image: the registry and repository of its name.</summary>
    private static RegistryReference PushTarget(ImageReference reference, ImageSpec spec) =>
        RegistryReference.TryParse(reference.ToString(), out var target) ? target
            : throw new TinyImageException(SourceLocation.Prefix(spec.Origin, $"cannot push {reference}: not a registry name; tag it REGISTRY/REPOSITORY:TAG, e.g. --tag 127.0.0.1:5000/app:1"));

    /// <summary>
    /// The platforms to build <paramref name="spec"/> for: --platform (the recipe's, if it names some), else its own. An
    /// archive holds one: without <paramref name="several"/> (a push or an OCI layout, which carry an image index), the
    /// host's when it is among the recipe's. Null stands for the host's, when the recipe names none.
    /// </summary>
    internal static IReadOnlyList<Platform?> PlatformsOf(ImageSpec spec, IReadOnlyList<Platform> requested, bool several)
    {
        if (requested.Count > 0)
        {
            foreach (var platform in requested)
                if (spec.Platforms.Length > 0 && !spec.Platforms.Contains(platform))
                    throw new TinyImageException(SourceLocation.Prefix(spec.Origin, $"the image is for {string.Join(", ", spec.Platforms)}, not {platform}; pick one of those with --platform"));
            if (requested.Count > 1 && !several)
                throw new TinyImageException(SourceLocation.Prefix(spec.Origin, $"an archive holds one platform, not {string.Join(" and ", requested)}; pick one with --platform, or build an index of several with --push or --format oci-dir"));
            return [.. requested];
        }
        if (spec.Platforms.Length > 1 && !several)
        {
            // An archive holds one platform: the host's when the recipe builds for it, so it runs here.
            var host = Platform.Host();
            return spec.Platforms.Contains(host) ? [host] : throw new TinyImageException(SourceLocation.Prefix(spec.Origin,
                $"the image is for {string.Join(" and ", spec.Platforms)}, and an archive holds one platform; pick one with --platform {spec.Platforms[0]}, or build an index of all with --push or --format oci-dir"));
        }
        return spec.Platforms.Length > 0 ? [.. spec.Platforms] : [null];
    }

    /// <summary>
    /// Builds one image for several platforms: an archive each (<c>NAME-linux-arm64.tar</c>), or one OCI layout whose
    /// index lists them all; with --push, each manifest goes up by digest and an index of them under the tag.
    /// </summary>
    private static async Task<List<(ImageSpec, BuiltImage)>> BuildPlatformsAsync(ImagePipeline pipeline, ImageSpec spec, ImageReference reference,
        IReadOnlyList<Platform?> platforms, string target, Settings settings, RegistryClient? registry, Reporter reporter, CancellationToken cancellationToken)
    {
        var images = new List<(BuiltImage Image, Platform Platform)>();
        var layout = settings.Format == ImageFormat.OciDirectory;
        var parent = Path.GetDirectoryName(Path.GetFullPath(target.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : target))!;
        var scratch = layout ? Directory.CreateDirectory(Path.Combine(parent, $".{Path.GetFileName(target.TrimEnd('/'))}.{Path.GetRandomFileName()}.platforms")).FullName : null;
        try
        {
            foreach (var platform in platforms.Select(p => p!))
            {
                var suffix = "-" + platform.ToString().Replace('/', '-');
                var output = scratch is not null ? Path.Combine(scratch, platform.ToString().Replace('/', '-')) : target[..^".tar".Length] + suffix + ".tar";
                reporter.Step($"building {reference} for {platform}");
                var image = await pipeline.BuildAsync(spec, reference, output, cancellationToken, platform).ConfigureAwait(false);
                images.Add((image, platform));
                if (!layout) reporter.Step(Summary(image, Path.GetRelativePath(Environment.CurrentDirectory, image.OutputPath), loaded: false));
            }
            if (scratch is not null)
            {
                var index = await OciDirectoryWriter.WriteIndexAsync(images, reference, target, cancellationToken).ConfigureAwait(false);
                var line = $"{reference}  {index}  {string.Join(", ", images.Select(i => i.Platform))}  -> {Path.GetRelativePath(Environment.CurrentDirectory, target)}";
                if (settings.Push) reporter.Step(line);
                else Reporter.Result(line);
            }
        }
        finally
        {
            if (scratch is not null) Directory.Delete(scratch, recursive: true);
        }
        if (registry is not null && settings.Push)
        {
            var destination = PushTarget(reference, spec);
            reporter.Step($"pushing {destination} ({images.Count} platforms)");
            var first = images[0].Image;
            var mountFrom = first.BaseRegistry == destination.Registry && first.BaseRepository != destination.Repository ? first.BaseRepository : null;
            var digest = await new RegistryPush(registry).PushIndexAsync(images, destination, cancellationToken, mountFrom).ConfigureAwait(false);
            Reporter.Result($"{destination.Name}@{digest}");
        }
        return [.. images.Select(i => (spec, i.Image))];
    }

    internal static Dictionary<string, string> ParseArguments(IEnumerable<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=');
            if (equals <= 0)
                throw new TinyImageException($"--arg '{value}': write NAME=VALUE, e.g. --arg version=1.2");
            result[value[..equals]] = value[(equals + 1)..];
        }
        return result;
    }

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

    private static string OutputPath(string? output, ImageReference reference, int imageCount, string extension)
    {
        var fileName = reference.ShortName + extension;
        if (output is null) return Path.Combine("out", fileName);
        var isLayout = extension.Length == 0 && File.Exists(Path.Combine(output, "oci-layout"));
        if (imageCount > 1 || (Directory.Exists(output) && !isLayout) || (output.EndsWith('/') && extension.Length > 0)) return Path.Combine(output, fileName);
        return output;
    }

    /// <summary>
    /// Refuses an output that exists and is not what a build replaces: a regular file for an archive, a directory
    /// for an OCI layout (whose content <see cref="OciDirectoryWriter"/> checks). Renaming over a device
    /// (<c>-o /dev/null</c> as root), a symbolic link (<c>-o /dev/stdout</c>), a FIFO or a socket would replace it.
    /// </summary>
    private static void RefuseUnreplaceableOutput(string target, ImageFormat format)
    {
        var path = Path.GetFullPath(target.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : target);
        var status = HostFileStatus.Of(path);
        if (status.Kind == HostFileKind.Missing) return;
        var directory = format == ImageFormat.OciDirectory;
        if (directory ? status.IsDirectory : status.IsFile) return;
        var what = status.Kind switch
        {
            HostFileKind.Symlink => "a symbolic link",
            HostFileKind.Directory => "a directory",
            HostFileKind.File => "a file",
            _ => "not a regular file (a device, a FIFO or a socket)",
        };
        throw new TinyImageException(directory
            ? $"the output '{target}' is {what}; --format oci-dir only replaces a directory (an OCI layout): give another path"
            : $"the output '{target}' is {what}; a build only replaces a regular file: give another path, or -o - to write the archive to stdout");
    }

    private static string Summary(BuiltImage image, string shown, bool loaded) =>
        $"{image.Reference}  {image.ManifestDigest}  {Sizes.Format(image.CompressedSize)} compressed, {Sizes.Format(image.ContentSize)} of files  " +
        $"{image.FileCount} file{(image.FileCount == 1 ? "" : "s")}  -> {shown}{(loaded ? " (loaded into Docker)" : "")}";
}
