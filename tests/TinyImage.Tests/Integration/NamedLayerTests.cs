namespace TinyImage.Tests.Integration;

/// <summary>.Layer("name", l => ...): a recipe's own grouping, shared between images that name the same files.</summary>
public sealed class NamedLayerTests
{
    [Fact]
    public void A_named_layer_holds_exactly_what_its_block_added_and_is_shared_between_images()
    {
        using var dir = new TempDirectory();
        dir.Write("web/index.html", "<h1>hi</h1>\n");
        dir.Write("web/app.css", "h1 { color: red }\n");
        dir.Write("layers.tiny.csx", """
            var assets = (ImageBuilder image) => image.Layer("assets", l => l.AddDirectory("web", "/srv/web"));
            assets(From.Scratch().AddBinary("/bin/echo").WithLibs()).AddText("/etc/one", "1").Tag("one:1");
            assets(From.Scratch().AddBinary("/bin/ls").WithLibs()).AddText("/etc/two", "2").Tag("two:1");
            """);
        var build = Run.Tinyrun(dir.Path, "layers.tiny.csx");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(2, build.Stdout.Trim().Split('\n').Length); // the block's builder is not an image of its own

        var one = ImageArchive.Read(dir.Combine("out/one.tar"));
        var two = ImageArchive.Read(dir.Combine("out/two.tar"));
        var oneLayers = one.DockerManifest.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()).ToList();
        var twoLayers = two.DockerManifest.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()).ToList();
        // libc+loader, libraries (ls only), assets, application: the first and the assets layer are shared.
        Assert.Equal(oneLayers[0], twoLayers[0]);
        Assert.Equal(oneLayers[^2], twoLayers[^2]);
        Assert.NotEqual(oneLayers[^1], twoLayers[^1]);
        var inspect = Run.Tinyrun(dir.Path, "inspect", "out/one.tar");
        Assert.Matches(@"\n      index\.html  12 B  \[layer \d\]  AddDirectory at layers\.tiny\.csx\(1\)", inspect.Stdout);
        Assert.Matches(@"\n    one  1 B  \[layer \d\]", inspect.Stdout);
        var assetLayer = oneLayers.Count; // the application layer is last; the named one just before it
        Assert.Contains($"index.html  12 B  [layer {assetLayer - 1}]", inspect.Stdout);
    }
}
