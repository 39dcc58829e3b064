using System.Text;
using TinyImage.Core.Sources;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Sources;

/// <summary>What <c>tinyrun verify</c> reads of the image it is given: index.json, bounded, from regular files only.</summary>
public sealed class ImageLayoutReaderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<TinyImageException> RefusedAsync(string image)
    {
        // On another thread: opening a FIFO blocks the thread that opens it.
        var read = Task.Run(() => ImageArchiveReader.ReadManifestsAsync(image, CancellationToken.None));
        var e = await Assert.ThrowsAsync<TinyImageException>(() => read.WaitAsync(Patience));
        Assert.DoesNotContain("\n", e.Message);
        return e;
    }

    /// <summary>An index.json that is valid JSON, holds one manifest and is <paramref name="size"/> bytes long.</summary>
    private static byte[] LargeIndex(int size)
    {
        const string head = """{"schemaVersion":2,"manifests":[{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}],"padding":" """;
        return Encoding.ASCII.GetBytes(head + new string('x', size - head.Length - 2) + "\"}");
    }

    [Fact]
    public async Task Finding12_AnIndexJsonOverTheLimit_IsRefused_InALayoutDirectory()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("layout"));
        File.WriteAllBytes(dir.Combine("layout/index.json"), LargeIndex(5 << 20));

        var e = await RefusedAsync(dir.Combine("layout"));

        Assert.Contains("index.json", e.Message);
        Assert.Contains("4 MiB", e.Message);
    }

    [Fact]
    public async Task Finding12_AnIndexJsonOverTheLimit_IsRefused_InATar()
    {
        using var dir = new TempDirectory();
        var tar = HandMadeArchive.Write(dir.Combine("image.tar"), [("oci-layout", "{}"u8.ToArray()), ("index.json", LargeIndex(5 << 20))]);

        var e = await RefusedAsync(tar);

        Assert.Contains("index.json", e.Message);
        Assert.Contains("4 MiB", e.Message);
    }

    [Fact]
    public async Task Finding12_AnIndexJsonJustUnderTheLimit_IsRead()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("layout"));
        File.WriteAllBytes(dir.Combine("layout/index.json"), LargeIndex((4 << 20) - 1));

        var manifests = await ImageArchiveReader.ReadManifestsAsync(dir.Combine("layout"), CancellationToken.None);

        Assert.Single(manifests);
    }

    [Theory]
    [InlineData("/dev/zero")] // endless: read whole, it ran out of memory
    [InlineData("fifo")]      // opening it waits for a writer forever
    [InlineData("directory")]
    public async Task Finding12_AnIndexJsonThatIsNotARegularFile_IsRefused(string kind)
    {
        using var dir = new TempDirectory();
        var layout = dir.Combine("layout");
        Directory.CreateDirectory(layout);
        var index = Path.Combine(layout, "index.json");
        switch (kind)
        {
            case "fifo":
                Assert.Equal(0, Run.Process("mkfifo", [index]).ExitCode);
                break;
            case "directory":
                Directory.CreateDirectory(index);
                break;
            default:
                File.CreateSymbolicLink(index, kind);
                break;
        }

        var e = await RefusedAsync(layout);

        Assert.Contains("index.json", e.Message);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public async Task Finding12_AnImageThatIsNotARegularFileOrDirectory_IsRefused()
    {
        var e = await RefusedAsync("/dev/zero");
        Assert.Contains("not a regular file", e.Message);
    }
}
