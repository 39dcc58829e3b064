using System.Reflection;
using System.Text.Json;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Images;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Core.Sinks;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Registry;

namespace TinyImage.Tests.Sinks;

/// <summary>
/// Issue 10, item 1: one image model (<see cref="IImage"/>, <see cref="ILayer"/>) and sinks with one verb
/// (<see cref="IImageSink.WriteAsync"/>): an archive, an OCI layout, the Docker engine and a registry get the same image.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ImageSinkTests
{
    private static readonly ImageConfig Config = new() { Cmd = ["/hello"] };

    private static IReadOnlyList<FileEntry> Entries(string text) =>
        [FileEntry.Inline("/hello.txt", System.Text.Encoding.UTF8.GetBytes(text), 0x1A4, "AddText")];

    [Fact]
    public async Task One_build_given_to_every_sink_at_once_is_the_same_image_in_each()
    {
        using var dir = new TempDirectory();
        await using var registry = await LocalRegistry.StartAsync();
        using var images = new EngineImages();
        using var daemon = new DockerDaemon();
        using var client = new RegistryClient(registry.ClientOptions());
        var reference = ImageReference.Parse($"{registry.Address}/sinks/hello:1");
        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = dir.Combine("cache") });
        images.Track(reference.ToString());

        var image = await pipeline.BuildAsync(Entries("same everywhere"), Config, "amd64", reference,
            [new ImageArchiveWriter(dir.Combine("hello.tar")), new OciDirectoryWriter(dir.Combine("layout")), daemon, new RegistryPush(client)], CancellationToken.None);

        Assert.Equal(
            [dir.Combine("hello.tar"), dir.Combine("layout"), $"loaded {reference} into the Docker engine at {daemon.Endpoint}", $"{registry.Address}/sinks/hello@{image.ManifestDigest}"],
            image.WrittenTo);
        Assert.Equal([(reference.FullyQualified, image.ManifestDigest)], await ImageArchiveReader.ReadManifestsAsync(dir.Combine("hello.tar"), CancellationToken.None));
        Assert.Equal([(reference.FullyQualified, image.ManifestDigest)], await ImageArchiveReader.ReadManifestsAsync(dir.Combine("layout"), CancellationToken.None));
        var pushed = await client.GetManifestAsync(registry.Reference("sinks/hello:1"), CancellationToken.None);
        Assert.Equal(image.ManifestDigest, pushed.Digest);
        Assert.Equal(image.ManifestBytes.ToArray(), pushed.Bytes.ToArray());
        Assert.Equal(image.ConfigDigest.ToString(), await daemon.ImageIdAsync(reference.ToString(), CancellationToken.None));

        // Given again, the engine's sink sees it has the image (by its ID) and loads nothing.
        var again = await pipeline.BuildAsync(Entries("same everywhere"), Config, "amd64", reference, [daemon], CancellationToken.None);
        Assert.Equal($"{reference} is already in the Docker engine at {daemon.Endpoint} ({image.ConfigDigest})", again.WrittenTo[0]);
        // Asked before the build, the same; the answer is taken once: a changed image asked early is loaded.
        daemon.AskEarly(reference, CancellationToken.None);
        again = await pipeline.BuildAsync(Entries("same everywhere"), Config, "amd64", reference, [daemon], CancellationToken.None);
        Assert.Equal($"{reference} is already in the Docker engine at {daemon.Endpoint} ({image.ConfigDigest})", again.WrittenTo[0]);
        // An early yes is asked again: the name may have gone while the image was built.
        daemon.AskEarly(reference, CancellationToken.None);
        await Task.Delay(500);
        Run.Process("docker", ["rmi", reference.ToString()]);
        var reloaded = await pipeline.BuildAsync(Entries("same everywhere"), Config, "amd64", reference, [daemon], CancellationToken.None);
        Assert.Equal($"loaded {reference} into the Docker engine at {daemon.Endpoint}", reloaded.WrittenTo[0]);
        daemon.AskEarly(reference, CancellationToken.None);
        var changed = await pipeline.BuildAsync(Entries("changed"), Config, "amd64", reference, [daemon], CancellationToken.None);
        Assert.Equal($"loaded {reference} into the Docker engine at {daemon.Endpoint}", changed.WrittenTo[0]);
        Assert.Equal(changed.ConfigDigest.ToString(), await daemon.ImageIdAsync(reference.ToString(), CancellationToken.None));
        var changedAgain = await pipeline.BuildAsync(Entries("changed"), Config, "amd64", reference, [daemon], CancellationToken.None);
        Assert.StartsWith($"{reference} is already in the Docker engine", changedAgain.WrittenTo[0]);
        Run.Process("docker", ["rmi", image.ConfigDigest.ToString()]); // the first image, which lost its name
    }

    [Fact]
    public async Task The_engine_loads_an_image_made_as_it_is_sent_with_no_archive_written()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        using var daemon = new DockerDaemon();
        var tag = images.Tag("streamed");
        var reference = ImageReference.Parse(tag);
        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = dir.Combine("cache") });
        var libs = new TinyImage.Core.Build.TreeAssembler(new TinyImage.Core.Elf.ResolverOptions())
            .Assemble(new ImageSpec { Steps = [new AddBinaryStep("/bin/dash", "/bin/sh"), new WithLibsStep()], PackageMetadata = false }).Tree.Entries();

        var image = await pipeline.BuildAsync([.. libs, .. Entries("streamed\n")], Config with { Cmd = ["/bin/sh", "-c", "read line < /hello.txt && echo $line"] }, "amd64",
            reference, [daemon], CancellationToken.None);

        Assert.Equal([$"loaded {reference} into the Docker engine at {daemon.Endpoint}"], image.WrittenTo);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tar", SearchOption.AllDirectories));
        var run = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", tag);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("streamed\n", run.Stdout);
    }

    [Fact]
    public async Task An_image_read_from_a_registry_or_a_docker_save_archive_is_written_as_it_is_by_any_sink()
    {
        using var dir = new TempDirectory();
        await using var registry = await LocalRegistry.StartAsync();
        using var images = new EngineImages();
        using var daemon = new DockerDaemon();
        using var client = new RegistryClient(registry.ClientOptions());
        var original = ImageReference.Parse($"{registry.Address}/sources/a:1");
        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = dir.Combine("cache") });
        var built = await pipeline.BuildAsync(Entries("a source"), Config, "amd64", original, [new RegistryPush(client)], CancellationToken.None);
        var provider = new BaseImageProvider(new BlobStore(dir.Combine("store")), new RegistryBaseImages(client));

        // Source: the registry. Sinks: another repository (a copy, as crane copy does), an archive, the engine.
        var pulled = await provider.OpenAsync(new BaseImage(BaseImageKind.Registry, original.ToString()), null, CancellationToken.None);
        Assert.Equal((built.ManifestDigest, built.ConfigDigest), (pulled.ManifestDigest, pulled.ConfigDigest));
        var copy = ImageReference.Parse($"{registry.Address}/sources/b:1");
        var tag = images.Tag("from-registry");
        var written = await Task.WhenAll(
            new RegistryPush(client).WriteAsync(pulled, copy, CancellationToken.None),
            new ImageArchiveWriter(dir.Combine("copy.tar")).WriteAsync(pulled, copy, CancellationToken.None),
            daemon.WriteAsync(pulled, ImageReference.Parse(tag), CancellationToken.None));
        Assert.Equal($"{registry.Address}/sources/b@{built.ManifestDigest}", written[0]);
        Assert.Equal([(copy.FullyQualified, built.ManifestDigest)], await ImageArchiveReader.ReadManifestsAsync(dir.Combine("copy.tar"), CancellationToken.None));
        Assert.Equal(built.ConfigDigest.ToString(), await daemon.ImageIdAsync(tag, CancellationToken.None));

        // Source: what docker save wrote of it. Its config is kept byte for byte, so the engine gives it the same ID.
        var save = Run.Docker("save", "-o", dir.Combine("saved.tar"), tag);
        Assert.True(save.ExitCode == 0, save.ToString());
        var saved = await provider.OpenAsync(new BaseImage(BaseImageKind.Archive, dir.Combine("saved.tar")), null, CancellationToken.None);
        Assert.Equal(built.ConfigDigest, saved.ConfigDigest);
        var again = images.Tag("from-archive");
        Assert.Equal($"loaded {again} into the Docker engine at {daemon.Endpoint}", await daemon.WriteAsync(saved, ImageReference.Parse(again), CancellationToken.None));
        Assert.Equal(built.ConfigDigest.ToString(), await daemon.ImageIdAsync(again, CancellationToken.None));
    }

    [Fact]
    public async Task A_second_push_of_the_image_its_tag_names_is_one_request()
    {
        using var dir = new TempDirectory();
        await using var registry = await LocalRegistry.StartAsync();
        var counting = new CountingHandler();
        using var client = new RegistryClient(registry.ClientOptions() with { Handler = counting });
        var reference = ImageReference.Parse($"{registry.Address}/again/hello:1");
        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = dir.Combine("cache") });
        var first = await pipeline.BuildAsync(Entries("twice"), Config, "amd64", reference, [new RegistryPush(client)], CancellationToken.None);
        Assert.True(counting.Uploads > 0, "the first push uploads");
        counting.Clear();

        var second = await pipeline.BuildAsync(Entries("twice"), Config, "amd64", reference, [new RegistryPush(client)], CancellationToken.None);

        Assert.Equal(first.WrittenTo, second.WrittenTo);
        Assert.Equal(["HEAD"], counting.Requests.Select(r => r.Method));
        // Another image under the tag: its blobs are checked and sent, then its manifest.
        counting.Clear();
        var changed = await pipeline.BuildAsync(Entries("changed"), Config, "amd64", reference, [new RegistryPush(client)], CancellationToken.None);
        Assert.NotEqual(first.ManifestDigest, changed.ManifestDigest);
        Assert.Contains("PUT", counting.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task The_tags_manifest_asked_before_the_build_and_again_before_the_push_is_skipped_are_the_requests_of_a_second_push_and_a_changed_image_still_goes_up()
    {
        using var dir = new TempDirectory();
        await using var registry = await LocalRegistry.StartAsync();
        var counting = new CountingHandler();
        using var client = new RegistryClient(registry.ClientOptions() with { Handler = counting });
        var reference = ImageReference.Parse($"{registry.Address}/early/hello:1");
        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = dir.Combine("cache") });
        var first = await pipeline.BuildAsync(Entries("twice"), Config, "amd64", reference, [new RegistryPush(client)], CancellationToken.None);
        counting.Clear();

        var push = new RegistryPush(client);
        push.AskEarly(reference, CancellationToken.None);
        var second = await pipeline.BuildAsync(Entries("twice"), Config, "amd64", reference, [push], CancellationToken.None);

        Assert.Equal(first.WrittenTo, second.WrittenTo);
        // Asked early, and asked again before nothing is pushed: the tag may have moved while the image was built.
        Assert.Equal(["HEAD", "HEAD"], counting.Requests.Select(r => r.Method));
        Assert.All(counting.Requests, r => Assert.EndsWith("/manifests/1", r.Path, StringComparison.Ordinal));
        // The early answer names the old image: the changed one is pushed, its manifest last.
        counting.Clear();
        var again = new RegistryPush(client);
        again.AskEarly(reference, CancellationToken.None);
        var changed = await pipeline.BuildAsync(Entries("changed"), Config, "amd64", reference, [again], CancellationToken.None);
        Assert.NotEqual(first.ManifestDigest, changed.ManifestDigest);
        Assert.Equal("PUT", counting.Requests[^1].Method);
        Assert.Single(counting.Requests, r => r.Method == "HEAD" && r.Path.EndsWith("/manifests/1", StringComparison.Ordinal));
    }

    [Fact]
    public void The_image_model_depends_on_nothing_that_builds_images()
    {
        // Layers, Build, Images, Sinks and Registry use the model; the model uses none of them (no Layers <-> Oci cycle).
        string[] builders = ["TinyImage.Core.Layers", "TinyImage.Core.Build", "TinyImage.Core.Images", "TinyImage.Core.Sinks", "TinyImage.Core.Registry", "TinyImage.Core.Sources"];
        var model = typeof(IImage).Assembly.GetTypes().Where(t => t.Namespace == "TinyImage.Core.Oci").ToList();
        Assert.Contains(typeof(ImageArchiveWriter), model);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var used = model.SelectMany(t => new[] { t.BaseType }.Concat(t.GetInterfaces())
                .Concat(t.GetFields(all).Select(f => f.FieldType))
                .Concat(t.GetProperties(all).Select(p => p.PropertyType))
                .Concat(t.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .Concat(t.GetConstructors(all).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)))
                .Where(u => u is not null).SelectMany(u => u!.IsGenericType ? u.GetGenericArguments().Append(u) : [u!])
                .Select(u => (Type: t, Uses: u)))
            .Where(p => builders.Contains(p.Uses.Namespace)).Select(p => $"{p.Type.Name} uses {p.Uses.FullName}").Distinct().ToList();
        Assert.Empty(used);
        var sources = Directory.GetFiles(Path.Combine(Run.RepoRoot, "src/Core/Oci"), "*.cs")
            .Where(f => builders.Any(b => File.ReadAllText(f).Contains(b + ";", StringComparison.Ordinal) || File.ReadAllText(f).Contains(b + ".", StringComparison.Ordinal)))
            .Select(Path.GetFileName).ToList();
        Assert.Empty(sources);
    }
}
