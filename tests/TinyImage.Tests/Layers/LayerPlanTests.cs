using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.Layers;

public sealed class LayerPlanTests
{
    internal static IReadOnlyList<FileEntry> Tree(params FileEntry[] entries)
    {
        var tree = new FileTree();
        foreach (var entry in entries) tree.Add(entry);
        return tree.Entries();
    }

    internal static FileEntry File(string path) => FileEntry.Inline(path, System.Text.Encoding.UTF8.GetBytes(path), 0x1ED, "test");

    private static readonly FileEntry[] GlibcDebian =
    [
        FileEntry.Link("/lib", "usr/lib", "test"),
        FileEntry.Link("/lib64", "usr/lib64", "test"),
        File("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        File("/usr/lib/x86_64-linux-gnu/libc.so.6"),
        File("/usr/lib/x86_64-linux-gnu/libm.so.6"),
        File("/usr/lib/x86_64-linux-gnu/libnss_files.so.2"),
        FileEntry.Link("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "test"),
    ];

    [Fact]
    public void Splits_Libc_ThenOtherLibraries_ThenTheApplication_EachWithItsParentDirectories()
    {
        var entries = Tree([
            .. GlibcDebian,
            File("/usr/lib/x86_64-linux-gnu/libtinfo.so.6.4"),
            FileEntry.Link("/usr/lib/x86_64-linux-gnu/libtinfo.so.6", "libtinfo.so.6.4", "test"),
            FileEntry.Link("/bin", "usr/bin", "test"),
            File("/usr/bin/bash"),
            FileEntry.Link("/usr/bin/sh", "bash", "test"),
            FileEntry.Directory("/tmp", 0x3FF, "test"),
        ]);

        var groups = LayerPlan.Split(entries);

        Assert.Equal(["libc", "libraries", "application"], groups.Select(g => g.Name));
        Assert.Equal(
            ["/lib", "/lib64", "/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
             "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libnss_files.so.2",
             "/usr/lib64", "/usr/lib64/ld-linux-x86-64.so.2"],
            groups[0].Entries.Select(e => e.Path));
        Assert.Equal(
            ["/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libtinfo.so.6", "/usr/lib/x86_64-linux-gnu/libtinfo.so.6.4"],
            groups[1].Entries.Select(e => e.Path));
        Assert.Equal(["/bin", "/tmp", "/usr", "/usr/bin", "/usr/bin/bash", "/usr/bin/sh"], groups[2].Entries.Select(e => e.Path));
        // The shared parent directories are the very same entries (mode, owner) in every layer.
        Assert.Same(groups[0].Entries.Single(e => e.Path == "/usr"), groups[2].Entries.Single(e => e.Path == "/usr"));
        // Every path is in exactly one layer, except parent directories.
        var nonDirectories = groups.SelectMany(g => g.Entries).Where(e => e.Kind != EntryKind.Directory).Select(e => e.Path).ToList();
        Assert.Equal(nonDirectories.Distinct().Count(), nonDirectories.Count);
        Assert.Equal(entries.Count(e => e.Kind != EntryKind.Directory), nonDirectories.Count);
    }

    [Fact]
    public async Task EveryLayer_IsAValidStandaloneTar()
    {
        var entries = Tree([.. GlibcDebian, File("/usr/lib/libz.so.1"), File("/app/run")]);
        var writer = new LayerWriter();
        foreach (var group in LayerPlan.Split(entries))
        {
            using var dir = new TestDirectory();
            var layer = await writer.WriteAsync(group.Entries, dir.Path, CancellationToken.None); // checks sorted, parents first
            var listed = TarInspection.ReadEntries(TarInspection.Gunzip(layer.BlobPath)).Select(e => e.Entry.Name).ToList();
            foreach (var name in listed.Where(n => n.TrimEnd('/').Contains('/')))
                Assert.Contains(name.TrimEnd('/')[..name.TrimEnd('/').LastIndexOf('/')] + "/", listed);
        }
    }

    [Fact]
    public void EmptyLayers_AreLeftOut()
    {
        Assert.Empty(LayerPlan.Split([]));
        Assert.Equal(["application"], LayerPlan.Split(Tree(File("/hello"))).Select(g => g.Name));
        Assert.Equal(["libc", "application"], LayerPlan.Split(Tree([.. GlibcDebian, File("/hello")])).Select(g => g.Name));
    }

    [Fact]
    public void RecipeLayers_ComeBetweenTheLibrariesAndTheApplication_AndWinOverNames()
    {
        var entries = Tree([.. GlibcDebian, File("/opt/assets/a.png"), File("/opt/assets/libfake.so"), File("/app/run")]);
        var groups = LayerPlan.Split(entries, [new LayerAssignment("assets", new HashSet<string> { "/opt/assets/a.png", "/opt/assets/libfake.so" })]);
        Assert.Equal(["libc", "assets", "application"], groups.Select(g => g.Name));
        Assert.Equal(["/opt", "/opt/assets", "/opt/assets/a.png", "/opt/assets/libfake.so"], groups[1].Entries.Select(e => e.Path));
        Assert.Throws<TinyImageException>(() => LayerPlan.Split(entries, [new LayerAssignment("libc", new HashSet<string>())]));
    }

    [Theory]
    [InlineData("libc.so.6", true)]
    [InlineData("ld-linux-x86-64.so.2", true)]
    [InlineData("ld-linux-aarch64.so.1", true)]
    [InlineData("libpthread.so.0", true)]
    [InlineData("libnss_dns.so.2", true)]
    [InlineData("libc-2.31.so", true)]
    [InlineData("libcrypto.so.3", false)]
    [InlineData("libcap.so.2", false)]
    [InlineData("libmagic.so.1", false)]
    public void LibcNames(string name, bool isLibc) => Assert.Equal(isLibc, LayerPlan.IsLibcName(name));

    [Fact]
    public async Task TheLibcLayer_IsTheSameLayer_InImagesOfDifferentRecipes()
    {
        using var dir = new TestDirectory();
        var pipeline = new ImagePipeline(new ImagePipelineOptions());
        ImageSpec Spec(params string[] binaries) => new()
        {
            Steps = [.. binaries.Select(b => (BuildStep)new AddBinaryStep(b, b)), new WithLibsStep()],
        };

        var echo = await pipeline.BuildAsync(Spec("/bin/echo"), ImageReference.Parse("echo:1"), dir.File("echo.tar"), CancellationToken.None);
        var bashLs = await pipeline.BuildAsync(Spec("/bin/bash", "/bin/ls"), ImageReference.Parse("ls:1"), dir.File("ls.tar"), CancellationToken.None);

        Assert.True(echo.Layers.Count >= 2 && bashLs.Layers.Count == 3, $"{echo.Layers.Count} and {bashLs.Layers.Count} layers");
        Assert.Equal(echo.Layers[0].Digest, bashLs.Layers[0].Digest);
        Assert.Equal(echo.Layers[0].DiffId, bashLs.Layers[0].DiffId);
        Assert.NotEqual(echo.Layers[^1].Digest, bashLs.Layers[^1].Digest);
    }
}
