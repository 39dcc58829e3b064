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
}
