using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using static TinyImage.Tests.Layers.LayerPlanTests;

namespace TinyImage.Tests.Layers;

/// <summary>Which layer a symlink, a directory or a named path goes to, and the names LayerPlan knows.</summary>
public sealed class LayerPlanSymlinkTests
{
    private static FileEntry Link(string path, string target) => FileEntry.Link(path, target, "test");

    /// <summary>The layer that holds <paramref name="path"/> as more than a parent directory: the first that lists it, for a non-directory.</summary>
    private static string LayerOf(IReadOnlyList<LayerGroup> groups, string path) =>
        groups.Single(g => g.Entries.Any(e => e.Path == path && e.Kind != EntryKind.Directory)).Name;

    private static readonly FileEntry Libc = File("/usr/lib/x86_64-linux-gnu/libc.so.6");
    private static readonly FileEntry Libz = File("/usr/lib/x86_64-linux-gnu/libz.so.1");

    [Fact]
    public void ALinkWithAnOrdinaryName_GoesWithWhatItLeadsTo_AbsoluteOrRelative()
    {
        var groups = LayerPlan.Split(Tree(
            Libc, Libz, File("/app/run"),
            Link("/opt/loader", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
            Link("/opt/x/compress", "../../usr/lib/x86_64-linux-gnu/libz.so.1"),
            Link("/opt/x/runner", "/app/run"),
            Link("/usr/lib/x86_64-linux-gnu/zlink", "libz.so.1"))); // relative to its own directory, not to /

        Assert.Equal("libc", LayerOf(groups, "/opt/loader"));
        Assert.Equal("libraries", LayerOf(groups, "/opt/x/compress"));
        Assert.Equal("application", LayerOf(groups, "/opt/x/runner"));
        Assert.Equal("libraries", LayerOf(groups, "/usr/lib/x86_64-linux-gnu/zlink"));
    }

    [Fact]
    public void ALinkToALink_AndALinkThroughALinkedDirectory_AreFollowedToTheEnd()
    {
        var groups = LayerPlan.Split(Tree(
            Libc, Libz,
            Link("/lib", "usr/lib"),
            Link("/opt/first", "/opt/second"),
            Link("/opt/second", "/usr/lib/x86_64-linux-gnu/libz.so.1"),
            Link("/opt/through", "/lib/x86_64-linux-gnu/libc.so.6")));

        Assert.Equal("libraries", LayerOf(groups, "/opt/first"));
        Assert.Equal("libc", LayerOf(groups, "/opt/through"));
        Assert.Equal("libc", LayerOf(groups, "/lib"));
    }

    [Fact]
    public void ALinkToADirectory_GoesWithTheFirstLayerOfWhatIsBelowIt_AndOnlyBelowIt()
    {
        var groups = LayerPlan.Split(Tree(
            Libc, Libz, File("/srv/app/run"), File("/srv/app-libs/libq.so.1"), FileEntry.Directory("/srv/empty", 0x1ED, "test"),
            Link("/to-libs", "usr/lib"),
            Link("/to-app", "srv/app"),      // not srv/app-libs, which merely starts with the same letters
            Link("/to-empty", "srv/empty"),
            Link("/to-root", "/")));

        Assert.Equal("libc", LayerOf(groups, "/to-libs"));
        Assert.Equal("application", LayerOf(groups, "/to-app"));
        Assert.Equal("application", LayerOf(groups, "/to-empty"));
        Assert.Equal("libc", LayerOf(groups, "/to-root"));
    }

    [Fact]
    public void ALinkThatLoopsOrLeadsNowhere_GoesToTheApplication()
    {
        var groups = LayerPlan.Split(Tree(
            Libc,
            Link("/a", "b"), Link("/b", "a"),
            Link("/self", "self"),
            Link("/dangling", "/nowhere/libc.so.6"),
            Link("/opt/up", "../../../usr/lib/x86_64-linux-gnu/libc.so.6"))); // above the root is the root, as for the loader

        Assert.Equal("application", LayerOf(groups, "/a"));
        Assert.Equal("application", LayerOf(groups, "/b"));
        Assert.Equal("application", LayerOf(groups, "/self"));
        Assert.Equal("application", LayerOf(groups, "/dangling"));
        Assert.Equal("libc", LayerOf(groups, "/opt/up"));
    }

    [Fact]
    public void RecipeLayers_TakeDirectoriesToo_TheFirstNamingAPathWins_AndEmptyDirectoriesGoToTheApplication()
    {
        var groups = LayerPlan.Split(
            Tree(File("/app/run"), FileEntry.Directory("/var/cache/app", 0x1ED, "test"), FileEntry.Directory("/tmp", 0x3FF, "test"), File("/etc/app.conf")),
            [
                new LayerAssignment("state", new HashSet<string> { "/var/cache/app" }),
                new LayerAssignment("config", new HashSet<string> { "/etc/app.conf", "/var/cache/app" }),
            ]);

        Assert.Equal(["state", "config", "application"], groups.Select(g => g.Name));
        Assert.Equal(["/var", "/var/cache", "/var/cache/app"], groups[0].Entries.Select(e => e.Path));
        Assert.Equal(["/etc", "/etc/app.conf"], groups[1].Entries.Select(e => e.Path));
        Assert.Equal(["/app", "/app/run", "/tmp"], groups[2].Entries.Select(e => e.Path));
    }

    [Theory]
    [InlineData("libc")]
    [InlineData("libraries")]
    [InlineData("application")]
    [InlineData("assets")]
    public void ALayerName_ThatIsTaken_IsAOneLineUserError(string name)
    {
        LayerAssignment[] assignments = name == "assets"
            ? [new LayerAssignment("assets", new HashSet<string>()), new LayerAssignment("assets", new HashSet<string>())]
            : [new LayerAssignment(name, new HashSet<string>())];

        var error = Assert.Throws<TinyImageException>(() => LayerPlan.Split(Tree(File("/a")), assignments));

        Assert.Equal($"two layers are named '{name}'; give each .Layer(...) its own name (libc, libraries and application are taken)", error.Message);
    }

    [Fact]
    public void NoEntries_IsRefused_WhenNull()
    {
        Assert.Throws<ArgumentNullException>("entries", () => LayerPlan.Split(null!));
    }

    [Theory]
    [InlineData("libz.so", true)]
    [InlineData("libz.so.1", true)]
    [InlineData("libz.so.1.2.13", true)]
    [InlineData("libz.sox", false)]
    [InlineData("libzso.1", false)]
    [InlineData("z.s", false)]
    [InlineData("run", false)]
    public void SharedLibraryNames(string name, bool isLibrary) => Assert.Equal(isLibrary, LayerPlan.IsSharedLibraryName(name));

    [Theory]
    [InlineData("ld64.so.1", true)]
    [InlineData("ld64.so.2", true)]
    [InlineData("ld.so.1", true)]
    [InlineData("ld-2.31.so", true)]
    [InlineData("ld-linux.so.2", true)]
    [InlineData("ld-linux-armhf.so.3", true)]
    [InlineData("libc.so", true)]
    [InlineData("libm-2.31.so", true)]
    [InlineData("libmvec.so.1", true)]
    [InlineData("libdl.so.2", true)]
    [InlineData("librt.so.1", true)]
    [InlineData("libresolv.so.2", true)]
    [InlineData("libanl.so.1", true)]
    [InlineData("libutil.so.1", true)]
    [InlineData("libBrokenLocale.so.1", true)]
    [InlineData("libthread_db.so.1", true)]
    [InlineData("libc_malloc_debug.so.0", true)]
    [InlineData("libnsl.so.1", true)]
    [InlineData("libnss_files-2.31.so", true)]
    [InlineData("libnss_systemd.so.2", true)]
    [InlineData("libnss_.so.2", false)]
    [InlineData("xlibc.so.6", false)]
    [InlineData("libc.so.6.bak", false)]
    [InlineData("libcrypt.so.1", false)]
    [InlineData("ld-linux", false)]
    [InlineData("ld.so", false)]
    public void MoreLibcNames(string name, bool isLibc) => Assert.Equal(isLibc, LayerPlan.IsLibcName(name));
}
