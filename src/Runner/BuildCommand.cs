using System.CommandLine;
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
    /// <summary>The size from which the build names a file among the largest.</summary>
    private const long LargeFileSize = 1 << 20;

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
            Hidden = asRoot,
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Where to write the image archive (default out/<name>.tar); a directory when the recipe defines several images; - for stdout.",
        };
        var load = new Option<bool>("--load") { Description = "Also load the image into the Docker engine at DOCKER_HOST or /var/run/docker.sock." };
        var tag = CommandLineValues.Tag("Name the image NAME:TAG instead of the recipe's Tag (one image only).");
        var args = CommandLineValues.Arguments("A recipe parameter NAME=VALUE, read in the recipe as Args[\"NAME\"]; repeatable.");
        var noCache = new Option<bool>("--no-cache") { Description = "Compile the recipe even if the compiled-recipe cache holds it." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only results and errors." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print details: cache use, files, layers." };
        var format = new Option<string>("--format") { Description = "tar (default): one archive that is both an OCI layout and a docker-load tar; oci-dir: an OCI image layout directory.", DefaultValueFactory = _ => "tar" };
        format.AcceptOnlyFromAmong("tar", "oci-dir");
        var compression = new Option<string>("--compression") { Description = "Layer compression: gzip (default; the same bytes on every machine), gzip-fast (the .NET runtime's zlib: faster, bytes may differ between runtimes) or zstd (needs Docker 23 or newer to load).", DefaultValueFactory = _ => "gzip" };
        compression.AcceptOnlyFromAmong("gzip", "gzip-fast", "zstd");
        var platform = CommandLineValues.Platforms("Build for this platform, e.g. linux/arm64 (default: the recipe's only .Platforms, else the host's).");
        var locked = new Option<bool>("--locked") { Description = "Fail when the recipe's lock file (NAME.tiny.lock) lacks a package set or would change (for CI)." };
        var push = new Option<bool>("--push") { Description = "Also push every image to the registry its name gives (.Tag(\"registry:5000/team/app:1\") or --tag); prints NAME@sha256:... per image." };
        var cacheRepo = CommandLineValues.CacheRepository("Share compressed layers through this registry repository (REGISTRY/REPO; default TINYRUN_CACHE_REPO): looked up before compressing, stored after.");
        var noSbom = new Option<bool>("--no-sbom") { Description = "Do not write the SBOMs (out/<name>.spdx.json, SPDX 2.3, and out/<name>.cdx.json, CycloneDX 1.5) beside the image." };
        var insecure = CommandLineValues.RegistryHosts("Talk plain HTTP to this registry HOST[:PORT] (loopback registries always may); repeatable.");
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
                parse.GetValue(args)!, !parse.GetValue(noCache))
            {
                Format = parse.GetValue(format) == "oci-dir" ? ImageFormat.OciDirectory : ImageFormat.Archive,
                Compression = parse.GetValue(compression) switch { "zstd" => LayerCompression.Zstd, "gzip-fast" => LayerCompression.GzipFast, _ => LayerCompression.Gzip },
                Platforms = parse.GetValue(platform)!,
                LockMode = parse.GetValue(locked) ? LockMode.Locked : LockMode.Update,
                Push = parse.GetValue(push),
                Sbom = !parse.GetValue(noSbom),
                InsecureRegistries = parse.GetValue(insecure)!,
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
            if (settings.Output == StandardOutput && Invocation.Output.IsTerminal)
            {
                Console.Error.WriteLine("tinyrun: -o - writes the archive to stdout, which is a terminal; redirect it: -o - > image.tar, or -o - | docker load");
                return Program.ExitUsage;
            }
            return await RunAsync(settings, new Reporter(parse.GetValue(quiet), parse.GetValue(verbose)), cancellationToken).ConfigureAwait(false);
        });
    }

    internal sealed record Settings(string Recipe, string? Output, bool Load, ImageReference? Tag, IReadOnlyDictionary<string, string> Arguments, bool UseCache)
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
        using var archiveStream = Invocation.Output.Open();
        Invocation.Output.KeepForData(); // stdout carries the archive, and nothing else
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
        var recipePath = settings.Recipe;
        using var daemon = settings.Load ? new DockerDaemon() : null;
        // What the last load of each image gave: a load is opened before the image is built also when the engine has an
        // image of that name, if this build probably gives another (the recipe's files changed since, as they do in an
        // edit-build-run loop).
        var history = daemon is null ? null : LoadHistory.Open();
        var fullRecipePath = Path.GetFullPath(recipePath);
        // Made when first needed, off the path of a build that loads nothing: it reads this build's module ID.
        var context = new Lazy<string>(() => LoadHistory.Context(settings.Arguments, string.Join(",", settings.Platforms)));
        Func<string, bool>? LikelyChanged(int index, ImageReference reference) => history is null ? null
            : engineImage => history.LikelyChanged(fullRecipePath, index, reference.ToString(), context.Value, engineImage);
        // With --tag, a push knows its registry before the recipe is evaluated: the one question a push of an unchanged
        // image asks (which manifest the tag names), and the HTTP client's start, run on the other core meanwhile. So
        // does a load: which image the engine has under that name.
        using var registry = settings.Push ? BuildService.NewRegistryClient(settings.InsecureRegistries, reporter) : null;
        var push = registry is null ? null : new RegistryPush(registry);
        if (settings.Tag is { } tag)
        {
            if (push is not null && RegistryReference.TryParse(tag.ToString(), out _)) push.AskEarly(tag, cancellationToken);
            daemon?.AskEarly(tag, cancellationToken, LikelyChanged(0, tag)); // a recipe given --tag defines one image
        }
        using var service = await BuildService.OpenAsync(recipePath, new BuildService.Options
        {
            Arguments = settings.Arguments,
            UseRecipeCache = settings.UseCache,
            Tag = settings.Tag,
            Format = settings.Format,
            Compression = settings.Compression,
            LockMode = settings.LockMode,
            NeedsRegistry = settings.Push,
            Registry = registry,
            CacheRepository = settings.CacheRepository,
            InsecureRegistries = settings.InsecureRegistries,
            WriteSbom = settings.Sbom && archiveStream is null,
        }, reporter, cancellationToken).ConfigureAwait(false);
        var named = service.Images;
        Marks.At("recipe evaluated");
        if (archiveStream is not null && named.Count > 1)
            throw new TinyImageException($"{recipePath}: -o - writes one archive to stdout but the recipe defines {named.Count} images; give a directory with -o DIR");
        var extension = settings.Format == ImageFormat.OciDirectory ? "" : ".tar";
        var outputs = named.GroupBy(n => Path.GetFullPath(OutputPath(settings.Output, n.Reference, named.Count, extension))).FirstOrDefault(g => g.Count() > 1);
        if (outputs is not null)
            throw new TinyImageException($"{recipePath}: {string.Join(" and ", outputs.Select(n => n.Reference))} would both be written to {outputs.Key}; give the images different names (the file is named after the last part of the name)");
        foreach (var (_, reference) in named)
            RefuseUnreplaceableOutput(OutputPath(settings.Output, reference, named.Count, extension), settings.Format);
        if (settings.Push)
            foreach (var (spec, reference) in named)
                Located(spec, () => RegistryPush.Target(reference));
        for (var index = 0; index < named.Count; index++)
        {
            var (spec, reference) = named[index];
            var target = OutputPath(settings.Output, reference, named.Count, extension);
            var platforms = PlatformsOf(spec, settings.Platforms, several: settings.Push || settings.Format == ImageFormat.OciDirectory);
            if (platforms.Count > 1)
            {
                if (daemon is not null || archiveStream is not null)
                    throw new TinyImageException(SourceLocation.Prefix(spec.Origin, $"{reference} is built for {string.Join(" and ", platforms)}, but {(daemon is null ? "-o -" : "--load")} takes one platform; pick one with --platform"));
                built.AddRange(await BuildPlatformsAsync(service.Pipeline, spec, reference, platforms, target, settings, push, reporter, cancellationToken).ConfigureAwait(false));
                continue;
            }
            var platform = platforms[0];
            push?.AskEarly(reference, cancellationToken);
            daemon?.AskEarly(reference, cancellationToken, LikelyChanged(index, reference));
            reporter.Step($"building {reference}{(platform is null ? "" : $" for {platform}")}");
            reporter.Detail($"recipe evaluated; building {reference}");
            var notLoaded = archiveStream is null ? $"the archive {Path.GetRelativePath(Environment.CurrentDirectory, target)} was written but not loaded" : "nothing was loaded or written to stdout";
            // The archive, the load and the push are written at once, each from the layers' blobs.
            var image = await service.Pipeline.BuildAsync(spec, reference, explanation =>
            [
                service.Pipeline.OutputSink(target, explanation),
                .. daemon is null ? Array.Empty<IImageSink>() : [new LoadSink(daemon, notLoaded, cancellationToken)],
                .. push is null ? Array.Empty<IImageSink>() : [push],
            ], cancellationToken, platform).ConfigureAwait(false);
            foreach (var layer in image.Layers)
                reporter.Detail($"layer {layer.Digest}: {layer.FileCount} files, {Sizes.Format(layer.ContentSize)} -> {Sizes.Format(layer.Size)} {settings.Compression.ToString().ToLowerInvariant()}");
            if (daemon is not null)
            {
                reporter.Step(image.WrittenTo[1]);
                history?.Record(fullRecipePath, index, reference.ToString(), context.Value, image.ConfigDigest.ToString(), image.Sources);
            }
            if (archiveStream is not null)
            {
                await using var archive = File.OpenRead(image.OutputPath);
                await archive.CopyToAsync(archiveStream, cancellationToken).ConfigureAwait(false);
                await archiveStream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            // What makes the image big, and what pulled it in: files of 1 MB or more, at most three.
            foreach (var large in image.Largest.Where(f => f.Size >= LargeFileSize).Take(3))
                reporter.Step($"  {Sizes.Format(large.Size),9}  {large.Path}  ({large.Why})");
            var shown = archiveStream is null ? Path.GetRelativePath(Environment.CurrentDirectory, image.OutputPath) : "stdout";
            if (push is not null)
            {
                reporter.Step(Summary(image, shown, loaded: daemon is not null));
                Reporter.Result(image.WrittenTo[^1]);
            }
            else
            {
                Reporter.Result(Summary(image, shown, loaded: daemon is not null));
            }
            built.Add((spec, image));
        }
        Marks.At("built");
        if (Invocation.InServer) reporter.Detail($"built in the build server (process {Environment.ProcessId})");
        reporter.Detail(AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true)
            ? "roslyn: loaded" : "roslyn: not loaded");
        if (daemon is not null) // a load is plain HTTP (DockerDaemon); Docker.DotNet starts only to run containers
        reporter.Detail(AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Docker.DotNet") ? "docker.dotnet: loaded" : "docker.dotnet: not loaded");
        return built;
    }

    /// <summary>Loads into the engine (unless it has the image); a failure says what happened to the archive.</summary>
    private sealed class LoadSink(DockerDaemon daemon, string notLoaded, CancellationToken commandCancellation) : IImageSink
    {
        public async Task<string> WriteAsync(IImage image, ImageReference reference, CancellationToken cancellationToken)
        {
            try
            {
                return await daemon.WriteAsync(image, reference, cancellationToken).ConfigureAwait(false);
            }
            catch (TinyImageException e)
            {
                throw new TinyImageException($"{e.Message}; {notLoaded}", e);
            }
            catch (OperationCanceledException e) when (!commandCancellation.IsCancellationRequested)
            {
                throw new TinyImageException($"the Docker engine at {daemon.Endpoint} did not answer in time (is it hung? docker info tells); {notLoaded}", e);
            }
        }
    }

    /// <summary><paramref name="check"/>, its error prefixed with the recipe line of <paramref name="spec"/>.</summary>
    private static void Located(ImageSpec spec, Action check)
    {
        try
        {
            check();
        }
        catch (TinyImageException e) when (spec.Origin is { } origin)
        {
            throw new TinyImageException(SourceLocation.Prefix(origin, e.Message), e);
        }
    }

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
        IReadOnlyList<Platform?> platforms, string target, Settings settings, RegistryPush? push, Reporter reporter, CancellationToken cancellationToken)
    {
        var images = new List<(BuiltImage Image, Platform Platform)>();
        var layout = settings.Format == ImageFormat.OciDirectory;
        foreach (var platform in platforms.Select(p => p!))
        {
            reporter.Step($"building {reference} for {platform}");
            // A layout holds all platforms under one index (written below, from the layers the cache keeps); archives are one each.
            var output = target[..^".tar".Length] + "-" + platform.ToString().Replace('/', '-') + ".tar";
            var image = await pipeline.BuildAsync(spec, reference, explanation => layout ? [] : [pipeline.OutputSink(output, explanation)], cancellationToken, platform)
                .ConfigureAwait(false);
            images.Add((image, platform));
            if (!layout) reporter.Step(Summary(image, Path.GetRelativePath(Environment.CurrentDirectory, image.OutputPath), loaded: false));
        }
        if (layout)
        {
            var index = await OciDirectoryWriter.WriteIndexAsync([.. images.Select(i => ((IImage)i.Image, i.Platform))], reference, target, cancellationToken).ConfigureAwait(false);
            var line = $"{reference}  {index}  {string.Join(", ", images.Select(i => i.Platform))}  -> {Path.GetRelativePath(Environment.CurrentDirectory, target)}";
            if (push is not null) reporter.Step(line);
            else Reporter.Result(line);
        }
        if (push is not null)
        {
            var destination = RegistryPush.Target(reference);
            reporter.Step($"pushing {destination} ({images.Count} platforms)");
            var digest = await push.PushIndexAsync([.. images.Select(i => ((IImage)i.Image, i.Platform))], destination, cancellationToken).ConfigureAwait(false);
            Reporter.Result($"{destination.Name}@{digest}");
        }
        return [.. images.Select(i => (spec, i.Image))];
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
