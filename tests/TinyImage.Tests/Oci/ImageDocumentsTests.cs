using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.Oci;

public sealed class ImageDocumentsTests
{
    private static readonly Digest DiffA = Digest.Compute("a"u8);
    private static readonly Digest DiffB = Digest.Compute("b"u8);

    private static string Text(byte[] json) => Encoding.UTF8.GetString(json);

    [Fact]
    public void Config_HasFixedPropertyOrder_CompactUtf8_AndEveryRunSetting()
    {
        var config = new ImageConfig
        {
            Entrypoint = ["/bin/app", "--flag"],
            Cmd = ["serve"],
            Env = [new("PATH", "/usr/bin:/bin"), new("LANG", "C.UTF-8"), new("EMPTY", "")],
            WorkingDir = "/srv",
            User = "1000:1000",
            ExposedPorts = ImmutableSortedSet.Create(StringComparer.Ordinal, "8080/tcp", "53/udp"),
            Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                [new KeyValuePair<string, string>("org.opencontainers.image.title", "hé <app> & co")]),
        };

        var json = ImageDocuments.Config(config, "arm64", [DiffA, DiffB], DateTimeOffset.UnixEpoch);

        Assert.Equal(
            "{\"created\":\"1970-01-01T00:00:00Z\",\"architecture\":\"arm64\",\"os\":\"linux\"," +
            "\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"53/udp\":{},\"8080/tcp\":{}}," +
            "\"Env\":[\"PATH=/usr/bin:/bin\",\"LANG=C.UTF-8\",\"EMPTY=\"],\"Entrypoint\":[\"/bin/app\",\"--flag\"]," +
            "\"Cmd\":[\"serve\"],\"WorkingDir\":\"/srv\",\"Labels\":{\"org.opencontainers.image.title\":\"hé <app> & co\"}}," +
            $"\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{DiffA}\",\"{DiffB}\"]}}}}",
            Text(json));
    }

    [Fact]
    public void Config_OmitsUnsetSettings_ButKeepsAnExplicitlyEmptyCmd()
    {
        var json = ImageDocuments.Config(new ImageConfig { Cmd = [] }, "amd64", [], DateTimeOffset.UnixEpoch);

        Assert.Equal(
            "{\"created\":\"1970-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\"," +
            "\"config\":{\"Cmd\":[]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
            Text(json));
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00Z")]
    [InlineData(1700000000L, "2023-11-14T22:13:20Z")]
    public void FormatTime_IsRfc3339Utc(long seconds, string expected)
    {
        Assert.Equal(expected, ImageDocuments.FormatTime(DateTimeOffset.FromUnixTimeSeconds(seconds)));
        Assert.Equal(expected, ImageDocuments.FormatTime(DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(TimeSpan.FromHours(5))));
    }

    [Fact]
    public void FormatTime_KeepsAFraction_WithoutTrailingZeros()
    {
        Assert.Equal("1970-01-01T00:00:00.5Z", ImageDocuments.FormatTime(DateTimeOffset.UnixEpoch.AddMilliseconds(500)));
    }

    [Fact]
    public void Manifest_IsOciSchema2_WithConfigAndLayerDescriptors()
    {
        var config = new Descriptor(MediaTypes.ImageConfig, DiffA, 123);
        var layer = new Descriptor(MediaTypes.LayerGzip, DiffB, 456);

        var json = Text(ImageDocuments.Manifest(config, [layer]));

        Assert.Equal(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{DiffA}\",\"size\":123}}," +
            $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{DiffB}\",\"size\":456}}]}}",
            json);
    }

    [Fact]
    public void Index_AnnotatesTheTagAndTheFullName()
    {
        var manifest = new Descriptor(MediaTypes.ImageManifest, DiffA, 400);

        var json = Text(ImageDocuments.Index(manifest, ImageReference.Parse("hello")));

        Assert.Equal(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" +
            $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{DiffA}\",\"size\":400," +
            "\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/hello:latest\",\"org.opencontainers.image.ref.name\":\"latest\"}}]}",
            json);
    }

    [Fact]
    public void Layout_AndDockerManifest()
    {
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", Text(ImageDocuments.Layout()));
        Assert.Equal(
            $"[{{\"Config\":\"blobs/sha256/{DiffA.Hex}\",\"RepoTags\":[\"team/app:1\"],\"Layers\":[\"blobs/sha256/{DiffB.Hex}\"]}}]",
            Text(ImageDocuments.DockerManifest(DiffA, [DiffB], ImageReference.Parse("team/app:1"))));
    }

    [Fact]
    public void Documents_ParseBackAsJson()
    {
        var config = ImageDocuments.Config(new ImageConfig { Env = [new("A", "1")] }, "amd64", [DiffA], DateTimeOffset.UnixEpoch);

        using var document = JsonDocument.Parse(config);

        Assert.Equal("A=1", document.RootElement.GetProperty("config").GetProperty("Env")[0].GetString());
        Assert.Equal(DiffA.ToString(), document.RootElement.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString());
    }
}
