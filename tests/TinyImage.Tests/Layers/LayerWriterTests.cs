using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

public sealed class LayerWriterTests
{
    private static readonly string LongDirectory =
        "/" + string.Join("/", Enumerable.Range(0, 12).Select(i => $"directory-number-{i:D2}")); // 239 chars

    private static readonly string LongFile = LongDirectory + "/" + new string('f', 60) + ".txt"; // > 255 chars

    /// <summary>A small tree with every kind of entry, setuid bits, a long name (> 255) and a long link target.</summary>
    private static IReadOnlyList<FileEntry> SampleEntries(string binarySource)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.HostFile("/usr/bin/tool", binarySource, 0x9ED /* 04755 */, "test"));
        tree.Add(FileEntry.Link("/bin", "usr/bin", "test"));
        tree.Add(FileEntry.Inline("/etc/motd", "hello\n"u8.ToArray(), 0x1A4, "test"));
        tree.Add(FileEntry.Inline("/etc/empty", [], 0x180 /* 0600 */, "test"));
        tree.Add(FileEntry.Directory("/tmp", 0x3FF /* 01777 */, "test"));
        tree.Add(FileEntry.Inline(LongFile, "long\n"u8.ToArray(), 0x1A4, "test"));
        tree.Add(FileEntry.Link("/long-link", LongFile[1..], "test"));
        return tree.Entries();
    }

    private static byte[] BinaryContent() => Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 % 251)).ToArray();

    [Fact]
    public async Task SameEntries_FromSourcesWithDifferentMtimes_WrittenAtDifferentTimes_GiveIdenticalBytes()
    {
        using var dir = new TestDirectory();
        var content = BinaryContent();
        var a = dir.Write("a/tool", content, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        var b = dir.Write("b/tool", content, new DateTime(2024, 6, 7, 8, 9, 10, DateTimeKind.Utc));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(b, UnixFileMode.UserRead | UnixFileMode.UserWrite); // host permissions must not leak
        var writer = new LayerWriter();

        var first = await writer.WriteAsync(SampleEntries(a), dir.File("out1"), CancellationToken.None);
        await Task.Delay(1100); // a different wall-clock second
        var second = await writer.WriteAsync(SampleEntries(b), dir.File("out2"), CancellationToken.None);

        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(first.DiffId, second.DiffId);
        Assert.Equal(File.ReadAllBytes(first.BlobPath), File.ReadAllBytes(second.BlobPath));
    }

    [Fact]
    public async Task DiffId_IsPinned_SoTarBytesDoNotDependOnTheProcessOrTheClock()
    {
        // The tar bytes do not involve zlib, so this value must hold in every process, on every machine and run.
        // A PAX writer would put the process id into header names and break it.
        using var dir = new TestDirectory();
        var source = dir.Write("tool", BinaryContent());

        var layer = await new LayerWriter().WriteAsync(SampleEntries(source), dir.Path, CancellationToken.None);

        Assert.Equal("sha256:8158bfa1140739a9b49094c6316ef1cc4fcee438a8a22d37d4224a5eae494de6", layer.DiffId.ToString());
    }

    [Fact]
    public async Task Tar_HoldsEntriesInOrder_WithRelativeNames_FixedOwnerAndTime_ModesLinksAndBytes()
    {
        using var dir = new TestDirectory();
        var content = BinaryContent();
        var source = dir.Write("tool", content);
        var entries = SampleEntries(source);

        var layer = await new LayerWriter().WriteAsync(entries, dir.Path, CancellationToken.None);
        var read = TarInspection.ReadEntries(TarInspection.Gunzip(layer.BlobPath));

        var expectedNames = entries.Select(e => e.Path[1..] + (e.Kind == EntryKind.Directory ? "/" : "")).ToList();
        Assert.Equal(expectedNames, read.Select(r => r.Entry.Name).ToList());
        foreach (var (entry, data) in read)
        {
            Assert.Equal(TarEntryFormat.Gnu, entry.Format);
            Assert.Equal(0, entry.Uid);
            Assert.Equal(0, entry.Gid);
            Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            var gnu = Assert.IsType<GnuTarEntry>(entry);
            Assert.Equal("", gnu.UserName);
            Assert.Equal("", gnu.GroupName);
        }

        TarEntry Get(string name) => read.Single(r => r.Entry.Name == name).Entry;
        byte[] Data(string name) => read.Single(r => r.Entry.Name == name).Data;

        Assert.Equal(TarEntryType.Directory, Get("usr/").EntryType);
        Assert.Equal((UnixFileMode)0x1ED, Get("usr/").Mode);
        Assert.Equal((UnixFileMode)0x3FF, Get("tmp/").Mode);
        Assert.Equal(TarEntryType.RegularFile, Get("usr/bin/tool").EntryType);
        Assert.Equal((UnixFileMode)0x9ED, Get("usr/bin/tool").Mode);
        Assert.Equal(content, Data("usr/bin/tool"));
        Assert.Equal("hello\n"u8.ToArray(), Data("etc/motd"));
        Assert.Equal((UnixFileMode)0x180, Get("etc/empty").Mode);
        Assert.Empty(Data("etc/empty"));
        Assert.Equal(TarEntryType.SymbolicLink, Get("bin").EntryType);
        Assert.Equal("usr/bin", Get("bin").LinkName);
        Assert.Equal((UnixFileMode)0x1FF, Get("bin").Mode);

        Assert.Equal(4, layer.FileCount);
        Assert.Equal(entries.Count, layer.EntryCount);
        Assert.Equal(content.Length + 6 + 0 + 5, layer.ContentSize);
        Assert.Equal(MediaTypes.LayerGzip, layer.MediaType);
    }

    [Fact]
    public async Task LongNames_Over100And255Bytes_AndLongLinkTargets_RoundTrip()
    {
        using var dir = new TestDirectory();
        var name101 = "/" + new string('n', 101);
        var tree = new FileTree();
        tree.Add(FileEntry.Inline(name101, "x"u8.ToArray(), 0x1A4, "test"));
        tree.Add(FileEntry.Inline(LongFile, "long\n"u8.ToArray(), 0x1A4, "test"));
        tree.Add(FileEntry.Link("/long-link", LongFile[1..], "test"));
        tree.Add(FileEntry.Inline("/ünïcødé/" + new string('é', 60), "u"u8.ToArray(), 0x1A4, "test")); // 120 UTF-8 bytes

        var layer = await new LayerWriter().WriteAsync(tree.Entries(), dir.Path, CancellationToken.None);
        var read = TarInspection.ReadEntries(TarInspection.Gunzip(layer.BlobPath));

        Assert.True(LongFile.Length > 256);
        Assert.Contains(read, r => r.Entry.Name == name101[1..] && r.Data.SequenceEqual("x"u8.ToArray()));
        Assert.Contains(read, r => r.Entry.Name == LongFile[1..] && r.Data.SequenceEqual("long\n"u8.ToArray()));
        Assert.Contains(read, r => r.Entry.Name == LongDirectory[1..] + "/");
        Assert.Contains(read, r => r.Entry.Name == "long-link" && r.Entry.LinkName == LongFile[1..]);
        Assert.Contains(read, r => r.Entry.Name == "ünïcødé/" + new string('é', 60));
    }

    [Fact]
    public async Task RawHeaders_AreGnu_WithoutPaxRecords_AtimeCtimeOrUserNames()
    {
        using var dir = new TestDirectory();
        var source = dir.Write("tool", BinaryContent());

        var layer = await new LayerWriter().WriteAsync(SampleEntries(source), dir.Path, CancellationToken.None);
        var headers = TarInspection.RawHeaders(TarInspection.Gunzip(layer.BlobPath));

        Assert.NotEmpty(headers);
        Assert.Contains(headers, h => h[156] == (byte)'L'); // a GNU long name record
        Assert.Contains(headers, h => h[156] == (byte)'K'); // a GNU long link record
        foreach (var header in headers)
        {
            Assert.DoesNotContain(header[156], "xg"u8.ToArray()); // no PAX headers (they carry the pid in .NET)
            Assert.Equal("ustar  ", TarInspection.Field(header, 257, 8));
            Assert.Equal("00000000000", TarInspection.Field(header, 136, 12)); // mtime 0, also in long-name records
            Assert.All(header.AsSpan(345, 24).ToArray(), b => Assert.Equal(0, b)); // GNU atime and ctime unset
            Assert.Equal("0000000", TarInspection.Field(header, 108, 8).PadLeft(7, '0')); // uid
            Assert.Equal("0000000", TarInspection.Field(header, 116, 8).PadLeft(7, '0')); // gid
            if (header[156] is not (byte)'L' and not (byte)'K')
            {
                Assert.Equal("", TarInspection.Field(header, 265, 32)); // uname
                Assert.Equal("", TarInspection.Field(header, 297, 32)); // gname
            }
            Assert.NotEqual('/', (char)header[0]); // relative names
        }
    }

    [Fact]
    public async Task ModificationTime_Option_IsTheMtimeOfEveryEntry()
    {
        using var dir = new TestDirectory();
        var time = new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero);

        var layer = await new LayerWriter(new LayerOptions { ModificationTime = time })
            .WriteAsync(SampleEntries(dir.Write("tool", [1, 2, 3])), dir.Path, CancellationToken.None);

        Assert.All(TarInspection.ReadEntries(TarInspection.Gunzip(layer.BlobPath)), r => Assert.Equal(time, r.Entry.ModificationTime));
    }

    [Fact]
    public async Task GzipHeader_HasZeroMtime_NoFileName_AndDeflate()
    {
        using var dir = new TestDirectory();
        var layer = await new LayerWriter().WriteAsync(SampleEntries(dir.Write("tool", [1, 2, 3])), dir.Path, CancellationToken.None);

        var blob = File.ReadAllBytes(layer.BlobPath);

        Assert.Equal(new byte[] { 0x1F, 0x8B }, blob[..2]); // magic
        Assert.Equal(8, blob[2]); // CM = deflate
        Assert.Equal(0, blob[3]); // FLG: no FNAME, FCOMMENT, FEXTRA, FHCRC
        Assert.Equal(new byte[4], blob[4..8]); // MTIME = 0
    }

    [Fact]
    public async Task Digest_IsSha256OfBlob_DiffId_IsSha256OfGunzippedBlob_SizesAreByteCounts()
    {
        using var dir = new TestDirectory();
        var layer = await new LayerWriter().WriteAsync(SampleEntries(dir.Write("tool", BinaryContent())), dir.Path, CancellationToken.None);

        var blob = File.ReadAllBytes(layer.BlobPath);
        var tar = TarInspection.Gunzip(layer.BlobPath);

        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob)), layer.Digest.ToString());
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), layer.DiffId.ToString());
        Assert.Equal(blob.Length, layer.Size);
        Assert.Equal(tar.Length, layer.UncompressedSize);
        Assert.Equal(0, tar.Length % 512);
    }

    [Fact]
    public async Task NoEntries_GiveAValidEmptyTar_InAValidGzip()
    {
        using var dir = new TestDirectory();
        var layer = await new LayerWriter().WriteAsync([], dir.Path, CancellationToken.None);

        var tar = TarInspection.Gunzip(layer.BlobPath);

        Assert.Equal(new byte[1024], tar);
        Assert.Equal("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", layer.DiffId.ToString()); // the well-known empty layer
        Assert.Empty(TarInspection.ReadEntries(tar));
        Assert.Equal(0, layer.FileCount);
    }

    [Fact]
    public async Task MissingSourceFile_IsAUserError_AndLeavesNoFileBehind()
    {
        using var dir = new TestDirectory();
        var missing = dir.File("does-not-exist");
        var entries = new FileTree();
        entries.Add(FileEntry.HostFile("/app/tool", missing, 0x1ED, "test"));
        var blobs = Path.Combine(dir.Path, "blobs");

        var error = await Assert.ThrowsAsync<TinyImageException>(
            () => new LayerWriter().WriteAsync(entries.Entries(), blobs, CancellationToken.None));

        Assert.Contains(missing, error.Message);
        Assert.Contains("/app/tool", error.Message);
        Assert.Empty(Directory.GetFiles(blobs));
    }

    [Fact]
    public async Task Cancellation_LeavesNoFileBehind()
    {
        using var dir = new TestDirectory();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new LayerWriter().WriteAsync(SampleEntries(dir.Write("tool", [1])), dir.File("blobs"), cancelled.Token));

        Assert.False(Directory.Exists(dir.File("blobs")) && Directory.GetFiles(dir.File("blobs")).Length > 0);
    }

    [Fact]
    public async Task EntriesOutOfOrder_OrWithoutParents_AreRejected()
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();
        FileEntry File(string path) => FileEntry.Inline(path, [1], 0x1A4, "test");

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/b"), File("/a")], dir.Path, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/a"), File("/a")], dir.Path, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("/dir/a")], dir.Path, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([File("relative")], dir.Path, CancellationToken.None));
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void SourceFile_ThatGrowsWhileRead_IsReported()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("growing", new byte[1000]);
        using var stream = SourceFileStream.Open(path, "/growing", bufferSize: 0);
        File.AppendAllText(path, "more");

        var error = Assert.Throws<TinyImageException>(() => stream.CopyTo(Stream.Null));

        Assert.Contains("grew", error.Message);
    }

    [Fact]
    public void SourceFile_ThatShrinksWhileRead_IsReported()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("shrinking", new byte[1000]);
        using var stream = SourceFileStream.Open(path, "/shrinking", bufferSize: 0);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(10);

        var error = Assert.Throws<TinyImageException>(() => stream.CopyTo(Stream.Null));

        Assert.Contains("shrank", error.Message);
    }

    [Fact]
    public void ModificationTime_BeforeTheEpoch_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new LayerWriter(new LayerOptions { ModificationTime = DateTimeOffset.UnixEpoch.AddSeconds(-1) }));
    }
}
