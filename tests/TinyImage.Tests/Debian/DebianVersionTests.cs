using System.Diagnostics;
using TinyImage.Core.Debian;
using Xunit.Abstractions;

namespace TinyImage.Tests.Debian;

/// <summary>Debian version order, checked against dpkg itself (<c>dpkg --compare-versions</c>) on fixed and generated pairs.</summary>
public sealed class DebianVersionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("1.0", "1.0", 0)]
    [InlineData("1.0", "1.00", 0)]
    [InlineData("1.0", "1.0-0", 0)]
    [InlineData("1.0~rc1", "1.0", -1)]
    [InlineData("1.0~~", "1.0~", -1)]
    [InlineData("1.0", "1.0+b1", -1)]
    [InlineData("1:0.1", "2.0", 1)]
    [InlineData("2.36-9+deb12u14", "2.36-9+deb12u9", 1)]
    [InlineData("1.0a", "1.0+", -1)]
    [InlineData("1.2.3", "1.2.10", -1)]
    [InlineData("7.88.1-10+deb12u12", "7.88.1-10", 1)]
    public void Known_pairs_order_as_dpkg_documents(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(DebianVersion.Compare(left, right)));
        Assert.Equal(-expected, Math.Sign(DebianVersion.Compare(right, left)));
        Assert.Equal(expected == 0, DebianVersion.Parse(left) == DebianVersion.Parse(right));
        if (expected == 0) Assert.Equal(DebianVersion.Parse(left).GetHashCode(), DebianVersion.Parse(right).GetHashCode());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a1.0")]
    [InlineData("1.0-")]
    [InlineData("x:1.0")]
    [InlineData("1.0 2")]
    [InlineData("1.0-a_b")]
    public void Invalid_versions_are_refused(string text) => Assert.False(DebianVersion.TryParse(text, out _));

    [Fact]
    public async Task Generated_pairs_order_as_dpkg_compare_versions_does()
    {
        var random = new Random(20261129);
        var pairs = new List<(string, string)>();
        for (var i = 0; i < 400; i++)
        {
            var left = Generate(random);
            // Half the pairs are near-misses of each other, which is where orders disagree.
            var right = i % 2 == 0 ? Generate(random) : Mutate(left, random);
            if (DebianVersion.TryParse(left, out _) && DebianVersion.TryParse(right, out _)) pairs.Add((left, right));
        }
        var disagreements = new List<string>();
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(pairs.Select(async pair =>
        {
            await gate.WaitAsync();
            try
            {
                var dpkgLess = await Dpkg(pair.Item1, "lt", pair.Item2);
                var dpkgEqual = await Dpkg(pair.Item1, "eq", pair.Item2);
                var dpkg = dpkgLess ? -1 : dpkgEqual ? 0 : 1;
                var ours = Math.Sign(DebianVersion.Compare(pair.Item1, pair.Item2));
                if (ours != dpkg) lock (disagreements) disagreements.Add($"{pair.Item1} vs {pair.Item2}: dpkg {dpkg}, ours {ours}");
            }
            finally
            {
                gate.Release();
            }
        }));
        output.WriteLine($"{pairs.Count} pairs compared with dpkg --compare-versions");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
        Assert.True(pairs.Count > 300);
    }

    private static string Generate(Random random)
    {
        const string alphabet = "0123456789abcz.+~";
        var epoch = random.Next(5) == 0 ? random.Next(3) + ":" : "";
        var upstream = random.Next(10).ToString() + new string(Enumerable.Range(0, random.Next(8)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        var revision = random.Next(3) == 0 ? "" : "-" + new string(Enumerable.Range(0, random.Next(1, 6)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        return epoch + upstream + revision;
    }

    private static string Mutate(string version, Random random)
    {
        var chars = version.ToCharArray().ToList();
        var at = random.Next(1, chars.Count + 1);
        var insert = "0~1a.+9"[random.Next(7)];
        if (random.Next(2) == 0 && at < chars.Count && chars[at] != ':' && chars[at] != '-') chars[at] = insert;
        else chars.Insert(at, insert);
        return new string(chars.ToArray());
    }

    private static async Task<bool> Dpkg(string left, string op, string right)
    {
        var start = new ProcessStartInfo("dpkg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--compare-versions", left, op, right }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0;
    }
}
