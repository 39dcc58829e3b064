using TinyImage.Core.FileSystem;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Sbom;

/// <summary>The SBOM's file hashes are remembered under the file's stamp: an unchanged file is not read again, a changed one is.</summary>
public sealed class FileHashMemoTests
{
    private static readonly (string, string) Known = (new string('a', 64), new string('b', 40));

    [Fact]
    public void AnUnchangedFile_IsHashedOnce_AndAChangeOfTheSameSizeAndMtime_IsHashedAgain()
    {
        using var dir = new TestDirectory();
        var file = dir.Write("f", "abc"u8.ToArray());
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc); // whole seconds: set back exactly below
        File.SetLastWriteTimeUtc(file, modified);
        var memo = new FileHashMemo(dir.File("memo")) { Time = new MinuteLater() };
        var calls = 0;

        var first = memo.Of(file, () => { calls++; return Known; });
        var second = memo.Of(file, () => { calls++; return (new string('c', 64), new string('d', 40)); });
        dir.Write("f", "abd"u8.ToArray());
        File.SetLastWriteTimeUtc(file, modified);
        var third = memo.Of(file, () => { calls++; return (new string('e', 64), new string('f', 40)); });

        Assert.Equal(Known, first);
        Assert.Equal(Known, second);
        Assert.Equal((new string('e', 64), new string('f', 40)), third);
        Assert.Equal(2, calls);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("symlink")]
    public async Task An_entry_that_is_not_a_regular_file_is_never_read_through(string kind)
    {
        using var dir = new TestDirectory();
        var file = dir.Write("f", "abc"u8.ToArray());
        var memo = new FileHashMemo(dir.File("memo")) { Time = new MinuteLater() };
        memo.Of(file, () => Known);
        var entry = Assert.Single(Directory.GetFiles(dir.File("memo")));
        File.Delete(entry);
        if (kind == "fifo") Assert.Equal(0, Integration.Run.Process("mkfifo", [entry]).ExitCode);
        else
        {
            // To an entry with other hashes: were the link followed, they would come back.
            var elsewhere = dir.Write("elsewhere", System.Text.Encoding.UTF8.GetBytes($"{new string('c', 64)} {new string('d', 40)}\n"));
            File.CreateSymbolicLink(entry, elsewhere);
        }

        var again = await Task.Run(() => memo.Of(file, () => Known)).WaitAsync(TimeSpan.FromSeconds(20)); // a FIFO must not be waited on

        Assert.Equal(Known, again);
    }

    [Fact]
    public void AFileChangedJustNow_IsHashedEveryTime_AndNothingIsKept()
    {
        using var dir = new TestDirectory();
        var file = dir.Write("f", "abc"u8.ToArray());
        var memo = new FileHashMemo(dir.File("memo"));
        var calls = 0;

        memo.Of(file, () => { calls++; return Known; });
        memo.Of(file, () => { calls++; return Known; });

        Assert.Equal(2, calls);
        Assert.False(Directory.Exists(dir.File("memo")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x y\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n")]
    public void ADamagedEntry_IsAMiss_AndIsWrittenAgain(string text)
    {
        using var dir = new TestDirectory();
        var file = dir.Write("f", "abc"u8.ToArray());
        var memo = new FileHashMemo(dir.File("memo")) { Time = new MinuteLater() };
        memo.Of(file, () => Known);
        var entry = Assert.Single(Directory.GetFiles(dir.File("memo")));
        File.WriteAllText(entry, text);
        var calls = 0;

        var again = memo.Of(file, () => { calls++; return Known; });

        Assert.Equal((Known, 1), (again, calls));
        Assert.Equal($"{Known.Item1} {Known.Item2}\n", File.ReadAllText(entry));
    }

    [Fact]
    public void An_unchanged_files_MD5_is_made_once_and_a_text_that_is_not_one_is_never_kept()
    {
        using var dir = new TestDirectory();
        var file = dir.Write("f", "abc"u8.ToArray());
        var memo = new FileHashMemo(dir.File("memo")) { Time = new MinuteLater() };
        var calls = 0;

        Assert.Equal("not an md5", memo.Md5Of(file, () => { calls++; return "not an md5"; }));
        Assert.False(Directory.Exists(dir.File("memo")));
        Assert.Equal(new string('a', 32), memo.Md5Of(file, () => { calls++; return new string('a', 32); }));
        Assert.Equal(new string('a', 32), memo.Md5Of(file, () => { calls++; return new string('b', 32); }));
        Assert.Equal(new string('a', 64), memo.Of(file, () => { calls++; return Known; }).Sha256); // another kind, another entry

        Assert.Equal(3, calls);
    }
}
