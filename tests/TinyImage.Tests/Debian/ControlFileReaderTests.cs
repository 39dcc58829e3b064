using System.Text;
using TinyImage.Core;
using TinyImage.Core.Debian;

namespace TinyImage.Tests.Debian;

public sealed class ControlFileReaderTests
{
    [Fact]
    public void Reads_fields_continuations_comments_and_crlf_with_line_numbers()
    {
        var text = "# a comment\nPackage: a\nDescription: first\n second line\n .\n third\r\n\n \t\nPackage: b\nDepends: x,\n y\n";

        var stanzas = ControlStanza.ReadAll(text, "t");

        Assert.Equal(2, stanzas.Count);
        Assert.Equal(2, stanzas[0].Line);
        Assert.Equal("first\n second line\n .\n third", stanzas[0]["description"]);
        Assert.Equal(9, stanzas[1].Line);
        Assert.Equal("x,\n y", stanzas[1]["Depends"]);
        Assert.Equal(10, stanzas[1].Find("Depends")!.Value.Line);
    }

    [Fact]
    public void ToText_writes_a_stanza_that_reads_back_the_same()
    {
        var text = "Package: hello\nVersion: 2.10-3\nDepends: libc6 (>= 2.34)\nDescription: example package\n The GNU hello program.\n .\n Seriously.\n";
        var stanza = ControlStanza.ReadAll(text, "t")[0];
        Assert.Equal(text, stanza.ToText());
        Assert.Equal(stanza.Fields, ControlStanza.ReadAll(stanza.ToText(), "t")[0].Fields);
    }

    [Fact]
    public void A_last_line_without_newline_is_read() =>
        Assert.Equal("b", ControlStanza.ReadAll("A: a\nB: b", "t")[0]["B"]);

    [Theory]
    [InlineData("Package a\n", "t(1): expected 'Name: value'")]
    [InlineData(" continued\n", "t(1): a continuation line")]
    [InlineData("A: 1\nB: 2\na: 3\n", "t(3): field 'a' given twice")]
    [InlineData("A: 1\n\n-B: 2\n", "t(3): '-B' is not a field name")]
    public void Malformed_lines_are_one_line_errors_with_their_line(string text, string expected)
    {
        var e = Assert.Throws<TinyImageException>(() => ControlStanza.ReadAll(text, "t"));
        Assert.StartsWith(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Stanzas_across_read_chunks_and_an_overlong_stanza()
    {
        // Many stanzas: several 1 MiB chunks, stanzas cut at every position.
        var text = new StringBuilder();
        for (var i = 0; i < 40_000; i++) text.Append("Package: p").Append(i).Append("\nDescription: ").Append('x', i % 97).Append("\n more\n\n");
        var stanzas = ControlStanza.ReadAll(text.ToString(), "t");
        Assert.Equal(40_000, stanzas.Count);
        Assert.Equal("p39999", stanzas[^1]["Package"]);
        Assert.Equal(new string('x', 39999 % 97) + "\n more", stanzas[^1]["Description"]);

        var huge = "Package: big\nDescription: start\n" + string.Concat(Enumerable.Repeat(" " + new string('y', 1000) + "\n", 5000));
        var e = Assert.Throws<TinyImageException>(() => ControlStanza.ReadAll(huge, "t"));
        Assert.Contains("longer than 4 MiB", e.Message);
    }
}
