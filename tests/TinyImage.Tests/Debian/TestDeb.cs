using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace TinyImage.Tests.Debian;

/// <summary>One member of a test package's data.tar.</summary>
public sealed record TestDebEntry(string Name, TarEntryType Type = TarEntryType.RegularFile, string Content = "", string LinkName = "", UnixFileMode Mode = (UnixFileMode)0x1a4);

/// <summary>
/// Writes .deb files in the test (ar + control.tar.gz + data.tar.gz/.zst/plain), including members dpkg-deb would
/// refuse to build (absolute paths, "..", writes through links), to check what the unpacker refuses.
/// </summary>
public static class TestDeb
{
    public static void Write(string path, string control, IEnumerable<TestDebEntry> entries, string compression = "gz")
    {
        var controlTar = Tar([new TestDebEntry("./control", Content: control.TrimEnd('\n') + "\n")]);
        var dataTar = Tar(entries);
        using var output = File.Create(path);
        output.Write("!<arch>\n"u8);
        Member(output, "debian-binary", "2.0\n"u8.ToArray());
        Member(output, "control.tar.gz", Gzip(controlTar));
        Member(output, "data.tar" + (compression.Length > 0 ? "." + compression : ""), compression switch
        {
            "gz" => Gzip(dataTar),
            "zst" => Zstd(dataTar),
            "" => dataTar,
            _ => throw new ArgumentException(compression),
        });
    }

    /// <summary>A control stanza for a test package.</summary>
    public static string Control(string name, string version, string architecture = "amd64", string? extra = null) =>
        $"Package: {name}\nVersion: {version}\nArchitecture: {architecture}\nMaintainer: Test <test@invalid>\nDescription: test package {name}\n{(extra is null ? "" : extra.TrimEnd('\n') + "\n")}";

    private static byte[] Tar(IEnumerable<TestDebEntry> entries)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true))
            foreach (var entry in entries)
            {
                var tarEntry = new GnuTarEntry(entry.Type, entry.Name) { Mode = entry.Mode, ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero) };
                if (entry.Type is TarEntryType.SymbolicLink or TarEntryType.HardLink) tarEntry.LinkName = entry.LinkName;
                if (entry.Type == TarEntryType.RegularFile) tarEntry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(entry.Content));
                writer.WriteEntry(tarEntry);
            }
        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    private static byte[] Zstd(byte[] bytes)
    {
        using var compressor = new ZstdNet.Compressor();
        return compressor.Wrap(bytes);
    }

    private static void Member(Stream output, string name, byte[] content)
    {
        var header = $"{name,-16}{"0",-12}{"0",-6}{"0",-6}{"100644",-8}{content.Length,-10}`\n";
        output.Write(Encoding.ASCII.GetBytes(header));
        output.Write(content);
        if (content.Length % 2 == 1) output.WriteByte((byte)'\n');
    }
}
