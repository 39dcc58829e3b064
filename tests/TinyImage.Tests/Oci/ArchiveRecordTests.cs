using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Oci;

/// <summary>
/// An archive already at the output, byte for byte, is not written again (<see cref="ArchiveRecord"/>); anything else
/// there (changed, truncated, a link, another image's archive) is replaced, as without the record.
/// </summary>
public sealed class ArchiveRecordTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Layer _layer = null!;
    private Image _image = null!;
    private static readonly ImageReference Reference = ImageReference.Parse("record:1");

    public async Task InitializeAsync()
    {
        var file = _dir.Write("src/hello.txt", "hello\n");
        _layer = await new LayerWriter(new LayerOptions()).WriteAsync([FileEntry.HostFile("/hello.txt", file, 0x1A4, "test")], _dir.Combine("blobs"), CancellationToken.None);
        _image = Image.Create(new ImageConfig(), "amd64", [_layer], DateTimeOffset.UnixEpoch);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private string Output => _dir.Combine("out/record.tar");

    private Task Write(byte[]? explanation = null, ImageReference? reference = null, bool recorded = true) =>
        new ImageArchiveWriter(Output, explanation, recorded ? _dir.Combine("records") : null).WriteAsync(_image, reference ?? Reference, CancellationToken.None);

    private ulong Inode => HostFileStatus.StampOf(Output)!.Value.Inode;

    [Fact]
    public async Task The_same_archive_is_left_in_place_and_its_time_set()
    {
        await Write();
        var (inode, bytes) = (Inode, File.ReadAllBytes(Output));
        File.SetLastWriteTimeUtc(Output, DateTime.UtcNow - TimeSpan.FromHours(1));

        await Write();

        Assert.Equal(inode, Inode); // written, it would be a new file renamed into place
        Assert.Equal(bytes, File.ReadAllBytes(Output));
        Assert.True(File.GetLastWriteTimeUtc(Output) > DateTime.UtcNow - TimeSpan.FromMinutes(1));
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("truncated")]
    [InlineData("other explanation")]
    [InlineData("other name")]
    [InlineData("no record")]
    public async Task Anything_else_at_the_output_is_written_again(string change)
    {
        await Write();
        var inode = Inode;
        byte[]? explanation = null;
        ImageReference? reference = null;
        switch (change)
        {
            case "flipped":
                using (var file = new FileStream(Output, FileMode.Open, FileAccess.Write)) { file.Position = 700; file.WriteByte(0x58); }
                break;
            case "truncated": using (var file = new FileStream(Output, FileMode.Open, FileAccess.Write)) file.SetLength(1024); break;
            case "other explanation": explanation = Encoding.UTF8.GetBytes("[]"); break;
            case "other name": reference = ImageReference.Parse("record:2"); break;
        }

        await Write(explanation, reference, recorded: change != "no record");
        await new ImageArchiveWriter(_dir.Combine("fresh.tar"), explanation).WriteAsync(_image, reference ?? Reference, CancellationToken.None);

        Assert.NotEqual(inode, Inode);
        Assert.Equal(File.ReadAllBytes(_dir.Combine("fresh.tar")), File.ReadAllBytes(Output));
    }

    [Fact]
    public async Task A_link_at_the_output_is_replaced_and_what_it_points_to_is_left_alone()
    {
        await Write();
        File.Move(Output, _dir.Combine("elsewhere.tar"));
        File.CreateSymbolicLink(Output, _dir.Combine("elsewhere.tar"));

        await Write();

        Assert.Equal(HostFileKind.File, HostFileStatus.Of(Output).Kind);
        Assert.Equal(File.ReadAllBytes(_dir.Combine("elsewhere.tar")), File.ReadAllBytes(Output));
    }
}
