using TinyImage.Core.Sources;
using TinyImage.Runner;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Sources;

/// <summary><c>tinyrun inspect</c> on archives written by hand: names, whiteouts, damage.</summary>
public sealed class InspectCommandTests
{
    private static string Files(string archive)
    {
        var text = Describe(archive);
        return text[(text.IndexOf("files:\n", StringComparison.Ordinal) + "files:\n".Length)..];
    }

    private static string Describe(string archive)
    {
        var output = new StringWriter { NewLine = "\n" };
        foreach (var image in ImageArchiveReader.Read(archive)) InspectCommand.Describe(image, showFiles: true, output);
        return output.ToString();
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
            Describe(archive);
        });
        Assert.DoesNotContain("\n", e.Message);
        Assert.StartsWith($"{archive}: {document}", e.Message);
        Assert.Contains(member, e.Message);
    }

    [Fact]
    public void Finding12_InspectOfDeepPaths_GivesOutputLinearInTheEntries()
    {
        using var dir = new TempDirectory();
        const int depth = 3000; // paths up to 6,000 characters: 9 MB of output from the quadratic indentation before
        var entries = new List<(string, string)>();
        var path = new System.Text.StringBuilder();
        for (var i = 0; i < depth; i++) entries.Add((path.Append("a/").ToString(), ""));
        entries.Add((path + "deepest", "x"));
        var archive = HandMadeArchive.DockerSave(dir.Combine("deep.tar"), HandMadeArchive.Layer(true, [.. entries]));

        var result = Run.Tinyrun(dir.Path, "inspect", archive);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(result.Stdout.Length < 512 * 1024, $"{result.Stdout.Length} characters of output");
        Assert.Contains("\n" + new string(' ', 2 + 64) + "(depth 40) a/\n", result.Stdout);
        Assert.Contains($"\n  ({depth - MergedLayers.MaxPathLength / 2 + 1} entries not shown: paths longer than {MergedLayers.MaxPathLength} characters", result.Stdout);
    }

    [Fact]
    public void Finding12_MergedLayers_KeepWhatTheBudgetAllows_AndCountTheRest()
    {
        var merged = new MergedLayers(budget: 3 * (64 + 2));
        merged.AddLayer(new[] { "/a", "/b", "/c", "/d", "/e" }.Select(p => new LayerEntry(p, false, 1, null)), 1);
        merged.AddLayer([new LayerEntry("/.wh.a", false, 0, null), new LayerEntry("/f", false, 1, null)], 2);

        Assert.Equal(["/b", "/c", "/f"], merged.Files.Select(f => f.Entry.Path));
        Assert.Equal(2, merged.NotKept);
    }

    [Fact]
    public void Finding12_MergedLayers_CutLongLinkTargets_AndCountThemAgainstTheBudget()
    {
        var longTarget = new string('t', 1 << 20); // a GNU long link name: 1 MiB each, a few bytes gzipped
        var merged = new MergedLayers(budget: 3 * (64 + 2 + MergedLayers.MaxPathLength + 1));
        merged.AddLayer(Enumerable.Range(0, 5).Select(i => new LayerEntry($"/{i}", false, 0, longTarget)), 1);

        Assert.Equal(3, merged.Files.Count());
        Assert.All(merged.Files, f => Assert.Equal(longTarget[..MergedLayers.MaxPathLength] + "…", f.Entry.LinkTarget));
        Assert.Equal(2, merged.NotKept);
    }

    [Fact]
    public void Finding12_AConfigOverTheLimit_IsRefused()
    {
        using var dir = new TempDirectory();
        var config = HandMadeArchive.Config[..^1] + ",\"padding\":\"" + new string('x', 5 << 20) + "\"}";
        var archive = HandMadeArchive.Write(dir.Combine("big-config.tar"), [
            ("config.json", System.Text.Encoding.UTF8.GetBytes(config)),
            ("manifest.json", System.Text.Encoding.UTF8.GetBytes(DockerManifest)),
            ("layer1.tar", HandMadeArchive.Layer(false, ("a", "a"))),
        ]);

        AssertOneLineError(archive, "config.json", "larger than 4 MiB");
    }

    [Fact]
    public void Finding12_AnArchiveThatIsNotARegularFile_IsRefused()
    {
        var e = Assert.Throws<TinyImage.Core.TinyImageException>(() => ImageArchiveReader.Read("/dev/zero"));
        Assert.Equal("/dev/zero: not a regular file; give an image archive (.tar) written by tinyrun, docker save or skopeo", e.Message);
    }

    /// <summary>Found by the long fuzz run: tar entries System.Formats.Tar refuses, and JSON errors quoting a control character.</summary>
    [Theory]
    [InlineData((byte)'S', "00000000001", "not supported")] // a sparse file: NotSupportedException
    [InlineData((byte)'L', "77777777777", "long name of 8589934591 bytes")] // 8 GB: InvalidOperationException from TarReader, now refused before
    public void Finding13_ALayerEntryTheTarReaderRefuses_IsAOneLineError(byte type, string size, string reason)
    {
        using var dir = new TempDirectory();
        var layer = HandMadeArchive.Layer(false, ("a", "x"), ("b", "y"));
        layer[156] = type; // the type flag of the first header
        System.Text.Encoding.ASCII.GetBytes(size).CopyTo(layer, 124);
        WriteChecksum(layer);
        var archive = HandMadeArchive.DockerSave(dir.Combine("odd.tar"), layer);

        var e = Assert.Throws<TinyImage.Core.TinyImageException>(() => Describe(archive));

        Assert.StartsWith("layer layer1.tar is damaged (", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Finding13_InvalidJsonQuotingAControlCharacter_IsAOneLineError()
    {
        using var dir = new TempDirectory();
        var archive = HandMadeArchive.Write(dir.Combine("damaged.tar"), [
            ("config.json", "{\"os\":n\nl}"u8.ToArray()), // the error quotes the bad literal, newline and all
            ("manifest.json", System.Text.Encoding.UTF8.GetBytes(DockerManifest)),
            ("layer1.tar", HandMadeArchive.Layer(false, ("a", "a"))),
        ]);

        var e = Assert.Throws<TinyImage.Core.TinyImageException>(() => Describe(archive));

        Assert.StartsWith($"{archive}: config.json is not valid JSON (", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    private static void WriteChecksum(byte[] header)
    {
        for (var i = 148; i < 156; i++) header[i] = (byte)' ';
        var sum = header.Take(512).Sum(b => (int)b);
        var text = System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        text.CopyTo(header, 148);
    }

    [Theory]
    [InlineData('L')] // a GNU long name
    [InlineData('x')] // a PAX header
    public void Finding12_AHugeTarMetadataEntry_IsRefusedBeforeItIsRead(char type)
    {
        using var dir = new TempDirectory();
        const int size = 64 << 20; // 64 MB of name, 64 KB once gzipped: System.Formats.Tar reads it whole, as bytes then as a string
        using var layer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(layer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Header("././@LongLink", size, (byte)type));
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, type == 'x' ? (byte)'\n' : (byte)'a');
            for (var i = 0; i < size / chunk.Length; i++) gzip.Write(chunk);
            gzip.Write(Header("file", 0, (byte)'0'));
            gzip.Write(new byte[1024]);
        }
        var archive = HandMadeArchive.DockerSave(dir.Combine("long.tar"), layer.ToArray());

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<TinyImage.Core.TinyImageException>(() => Describe(archive));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"layer layer1.tar is damaged (a tar {(type == 'L' ? "long name" : "PAX header")} of {size} bytes; the most read is 1048576)", e.Message);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void APaxHeaderThatGivesTheNextEntrysSize_IsFollowed()
    {
        using var dir = new TempDirectory();
        using var layer = new MemoryStream();
        var record = "13 size=1000\n"; // 13 bytes, as PAX counts them
        layer.Write(Header("PaxHeaders/big", record.Length, (byte)'x'));
        layer.Write(System.Text.Encoding.ASCII.GetBytes(record.PadRight(512, '\0')));
        layer.Write(Header("big", 0, (byte)'0')); // the size field says 0; the PAX header says 1000
        layer.Write(new byte[1024]);
        layer.Write(Header("small", 3, (byte)'0'));
        layer.Write("abc"u8.ToArray().Concat(new byte[509]).ToArray());
        layer.Write(new byte[1024]);
        var archive = HandMadeArchive.DockerSave(dir.Combine("pax.tar"), layer.ToArray());

        Assert.Equal("  big  1.0 kB\n  small  3 B\n", Files(archive));
    }

    /// <summary>A ustar header block of a name, size and type, with its checksum.</summary>
    private static byte[] Header(string name, long size, byte type)
    {
        var header = new byte[512];
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(header, 0);
        System.Text.Encoding.ASCII.GetBytes("0000644\0" + "0000000\0" + "0000000\0").CopyTo(header, 100);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0" + "00000000000\0").CopyTo(header, 124);
        header[156] = type;
        System.Text.Encoding.ASCII.GetBytes("ustar\000").CopyTo(header, 257);
        WriteChecksum(header);
        return header;
    }
}
