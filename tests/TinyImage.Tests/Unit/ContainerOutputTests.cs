using System.Text;
using TinyImage.Runner;

namespace TinyImage.Tests.Unit;

/// <summary>The streamed checks of <c>tinyrun test</c> decide as the whole-string comparisons they replace.</summary>
public sealed class ContainerOutputTests
{
    private static readonly string[] Pieces = ["a", "b", "ab", " ", "\n", "\t", "é", "€", "😀", "\u00a0", "ba"];

    [Fact]
    public void ExactAndContains_AgreeWithTheWholeStringComparisons_HoweverTheBytesArriveSplit()
    {
        var random = new Random(20261129);
        for (var i = 0; i < 5000; i++)
        {
            var output = Text(random, random.Next(0, 12));
            var expected = random.Next(3) == 0 ? output.TrimEnd() + Text(random, 2) : Text(random, random.Next(0, 6));
            var part = random.Next(3) == 0 && output.Length > 0 ? output.Substring(random.Next(output.Length) / 2, random.Next(0, output.Length / 2 + 1)) : Text(random, random.Next(0, 3));
            var stream = new ContainerOutput(expected, part);
            var bytes = Encoding.UTF8.GetBytes(output);
            for (var at = 0; at < bytes.Length;)
            {
                var length = random.Next(1, 4);
                stream.Write(bytes.AsSpan(at, Math.Min(length, bytes.Length - at)));
                at += length;
            }
            stream.Complete();

            Assert.True(output.TrimEnd() == expected.TrimEnd() == stream.IsExpected, $"output {output:Q}, expected {expected:Q}");
            Assert.True(output.Contains(part, StringComparison.Ordinal) == stream.ContainsExpectedPart, $"output {output:Q}, part {part:Q}");
            Assert.Equal(output.TrimEnd(), stream.Shown);
        }
    }

    [Fact]
    public void ALongOutput_KeepsItsEnds_AndSaysHowMuchIsLeftOut()
    {
        var stream = new ContainerOutput();
        var line = Encoding.UTF8.GetBytes("0123456789\n");
        for (var i = 0; i < 1_000_000; i++) stream.Write(line);
        stream.Complete();

        Assert.Equal(11_000_000, stream.CharacterCount);
        Assert.StartsWith("0123456789\n0123456789\n", stream.Shown);
        var gap = System.Text.RegularExpressions.Regex.Match(stream.Shown, @"\n\.\.\. \((\d+) characters not shown\) \.\.\.\n");
        Assert.True(gap.Success, stream.Shown[..100]);
        Assert.Equal(11_000_000, stream.Shown.Length - gap.Length + long.Parse(gap.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1); // + the trimmed final newline
        Assert.EndsWith("0123456789\n0123456789", stream.Shown);
        Assert.True(stream.Shown.Length < ContainerOutput.HeadLength + 2 * ContainerOutput.TailLength + 100);
    }

    private static string Text(Random random, int pieces) => string.Concat(Enumerable.Range(0, pieces).Select(_ => Pieces[random.Next(Pieces.Length)]));
}
