using TinyImage.Core.Sources;
using TinyImage.Runner;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Sources;

/// <summary><c>tinyrun inspect</c> on archives written by hand: names, whiteouts, damage.</summary>
public sealed class InspectCommandTests
{
    private static string Files(string archive)
    {
        var text = string.Concat(ImageArchiveReader.Read(archive).Select(image => InspectCommand.Describe(image, showFiles: true)));
        return text[(text.IndexOf("files:\n", StringComparison.Ordinal) + "files:\n".Length)..];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Finding08_LeadingDotsAreKept_AndWhiteoutsApplyAtTheTopLevelAndInAnyDirectory(bool gzip)
    {
        using var dir = new TempDirectory();
        var lower = HandMadeArchive.Layer(gzip,
            ("./", ""), (".hidden", "h"), ("./.config/", ""), ("./.config/x", "x"), ("opt/", ""), ("opt/tool", "t"),
            ("etc/", ""), ("etc/a", "a"), ("etc/b", "b"), ("srv/", ""), ("srv/.wh.keep", "not a whiteout in its own layer"), ("srv/keep", "k"));
        var upper = HandMadeArchive.Layer(gzip,
            (".wh.opt", ""), ("etc/", ""), ("etc/c", "c"), ("etc/.wh..wh..opq", ""), ("./.wh..hidden", ""), ("srv/new", "n"));
        var archive = HandMadeArchive.DockerSave(dir.Combine("image.tar"), lower, upper);

        var files = Files(archive);

        Assert.Equal("""
              .config/
                x  1 B  [layer 1]
              etc/
                c  1 B  [layer 2]
              srv/
                keep  1 B  [layer 1]
                new  1 B  [layer 2]

            """.Replace("\r", ""), files);
    }

    private static readonly string DockerManifest = """[{"Config":"config.json","RepoTags":["hand:1"],"Layers":["layer1.tar"]}]""";

    /// <summary>A damaged document of a <c>docker save</c> archive, and the member the error must name.</summary>
    public static TheoryData<string, string, string> DamagedDockerArchives => new()
    {
        { "manifest.json", "null", "the whole document" },
        { "manifest.json", "[null]", "[0]" },
        { "manifest.json", """[{"Config":null,"Layers":[]}]""", "[0].Config" },
        { "manifest.json", """[{"Config":7,"Layers":[]}]""", "[0].Config" },
        { "manifest.json", """[{"Layers":[]}]""", "[0].Config" },
        { "manifest.json", """[{"Config":"config.json","Layers":null}]""", "[0].Layers" },
        { "manifest.json", """[{"Config":"config.json","Layers":{}}]""", "[0].Layers" },
        { "manifest.json", """[{"Config":"config.json","Layers":[null]}]""", "[0].Layers[0]" },
        { "manifest.json", """[{"Config":"config.json","RepoTags":[1],"Layers":[]}]""", "[0].RepoTags[0]" },
        { "manifest.json", """[{"Config":"config.json","RepoTags":"hand:1","Layers":[]}]""", "[0].RepoTags" },
        { "manifest.json", "[{", "not valid JSON" },
        { "config.json", "null", "the whole document" },
        { "config.json", "[]", "the whole document" },
        { "config.json", """{"config":[]}""", "config" },
        { "config.json", """{"config":{"Entrypoint":[1]}}""", "config.Entrypoint[0]" },
        { "config.json", """{"config":{"Entrypoint":"/bin/sh"}}""", "config.Entrypoint" },
        { "config.json", """{"config":{"Cmd":[null]}}""", "config.Cmd[0]" },
        { "config.json", """{"config":{"Env":{}}}""", "config.Env" },
        { "config.json", """{"config":{"WorkingDir":[]}}""", "config.WorkingDir" },
        { "config.json", """{"config":{"Labels":{"a":1}}}""", "config.Labels.a" },
        { "config.json", """{"config":{"ExposedPorts":[]}}""", "config.ExposedPorts" },
        { "config.json", """{"os":5}""", "os" },
        { "tinyimage/files.json", "null", "the whole document" },
        { "tinyimage/files.json", "{}", "the whole document" },
        { "tinyimage/files.json", "[1]", "[0]" },
        { "tinyimage/files.json", """[{"path":1,"reason":"x"}]""", "[0].path" },
        { "tinyimage/files.json", """[{"path":"/x","reason":null}]""", "[0].reason" },
    };

    [Theory]
    [MemberData(nameof(DamagedDockerArchives))]
    public void Finding13_ADamagedDocumentOfADockerArchive_IsAOneLineErrorNamingTheFileAndMember(string document, string json, string member)
    {
        using var dir = new TempDirectory();
        var members = new Dictionary<string, string>
        {
            ["config.json"] = HandMadeArchive.Config,
            ["tinyimage/files.json"] = """[{"path":"/a","reason":"AddText"}]""",
            ["manifest.json"] = DockerManifest,
            [document] = json,
        };
        var layer = HandMadeArchive.Layer(false, ("a", "a"));
        var archive = HandMadeArchive.Write(dir.Combine("damaged.tar"),
            [.. members.Select(m => (m.Key, System.Text.Encoding.UTF8.GetBytes(m.Value))), ("layer1.tar", layer)]);

        AssertOneLineError(archive, document, member);
    }

    /// <summary>A damaged document of an OCI archive ("manifest" for the manifest blob), and the member the error must name.</summary>
    public static TheoryData<string, string, string> DamagedOciArchives => new()
    {
        { "index.json", """{"manifests":null}""", "manifests" },
        { "index.json", """{"manifests":[null]}""", "manifests[0]" },
        { "index.json", """{"manifests":[{"digest":null}]}""", "manifests[0].digest" },
        { "index.json", """{"manifests":[{"digest":"{MANIFEST}","annotations":[]}]}""", "manifests[0].annotations" },
        { "index.json", """{"manifests":[{"digest":"{MANIFEST}","annotations":{"io.containerd.image.name":3}}]}""", "manifests[0].annotations.io.containerd.image.name" },
        { "index.json", "7", "the whole document" },
        { "manifest", "null", "the whole document" },
        { "manifest", """{"config":null,"layers":[]}""", "config" },
        { "manifest", """{"config":{"digest":5},"layers":[]}""", "config.digest" },
        { "manifest", """{"config":{"digest":"{CONFIG}"},"layers":{}}""", "layers" },
        { "manifest", """{"config":{"digest":"{CONFIG}"},"layers":[null]}""", "layers[0]" },
        { "manifest", """{"config":{"digest":"{CONFIG}"},"layers":[{"digest":"{LAYER}","size":"big"}]}""", "layers[0].size" },
        { "manifest", """{"config":{"digest":"{CONFIG}"},"layers":[{"digest":"{LAYER}","size":1.5}]}""", "layers[0].size" },
        { "manifest", """{"config":{"digest":"{CONFIG}"},"layers":[{"digest":"{LAYER}","size":1,"mediaType":5}]}""", "layers[0].mediaType" },
        { "manifest", """{"config":{"digest":"{CONFIG}"},"layers":[{"digest":[],"size":1}]}""", "layers[0].digest" },
    };

    [Theory]
    [MemberData(nameof(DamagedOciArchives))]
    public void Finding13_ADamagedDocumentOfAnOciArchive_IsAOneLineErrorNamingTheFileAndMember(string document, string json, string member)
    {
        using var dir = new TempDirectory();
        var layer = HandMadeArchive.Layer(false, ("a", "a"));
        var archive = HandMadeArchive.Oci(dir.Combine("damaged.tar"),
            document == "index.json" ? json : HandMadeArchive.OciIndex,
            document == "manifest" ? json : HandMadeArchive.OciManifest,
            HandMadeArchive.Config, layer);

        AssertOneLineError(archive, document == "manifest" ? "blobs/sha256/" : document, member);
    }

    [Fact]
    public void Finding13_TinyrunInspectOfADamagedArchive_ExitsOneWithOneLine()
    {
        using var dir = new TempDirectory();
        var archive = HandMadeArchive.Write(dir.Combine("damaged.tar"), [
            ("config.json", """{"config":{"Entrypoint":[1]}}"""u8.ToArray()),
            ("manifest.json", System.Text.Encoding.UTF8.GetBytes(DockerManifest)),
            ("layer1.tar", HandMadeArchive.Layer(false, ("a", "a"))),
        ]);

        var result = Run.Tinyrun(dir.Path, "inspect", archive);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Equal($"tinyrun: {archive}: config.json: config.Entrypoint[0] is a number, expected a string; the archive is damaged or was not written by an image tool\n", result.Stderr);
    }

    private static void AssertOneLineError(string archive, string document, string member)
    {
        var e = Assert.Throws<TinyImage.Core.TinyImageException>(() =>
        {
            foreach (var image in ImageArchiveReader.Read(archive)) InspectCommand.Describe(image, showFiles: true);
        });
        Assert.DoesNotContain("\n", e.Message);
        Assert.StartsWith($"{archive}: {document}", e.Message);
        Assert.Contains(member, e.Message);
    }
}
