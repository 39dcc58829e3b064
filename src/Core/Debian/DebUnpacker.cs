using System.Formats.Tar;
using System.Globalization;
using System.Text;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Debian;

/// <summary>
/// Unpacks a .deb (an ar archive of <c>debian-binary</c>, <c>control.tar.*</c> and <c>data.tar.*</c>) into a
/// directory: <c>data/</c> holds the files, <c>control</c> the package's control stanza, <c>manifest</c> every kept
/// member (see <see cref="UnpackedPackage"/>). Nothing is ever run and nothing is written outside <c>data/</c>.
/// </summary>
/// <remarks>
/// Members are refused, and the package with them, when they are absolute, contain "..", or would be written
/// through a symbolic link or a file of the archive; a hard link must point to a regular file met earlier.
/// Symbolic links are created as they are, whatever they point to, and never followed. Device nodes and FIFOs are
/// skipped (an image gets them from its runtime). The ar container is read here (a 60-byte header per member) because
/// the members are then streamed straight from the verified file into their decompressor.
/// </remarks>
internal static class DebUnpacker
{
    private const int ArHeaderBytes = 60;
    private const int MaxControlBytes = 1 << 20;
    private const long MaxDataBytes = 16L << 30;
    private const int MaxMembers = 1_000_000;

    /// <summary>Unpack unpacks <paramref name="debPath"/> into <paramref name="destination"/>, which must not exist yet.</summary>
    /// <param name="what">Names the package in errors, e.g. "hello 2.10-3 (amd64)".</param>
    /// <exception cref="TinyImageException">Not a .deb, an unknown compression, or a refused member.</exception>
    public static void Unpack(string debPath, string destination, string what)
    {
        Directory.CreateDirectory(destination);
        var data = Path.Combine(destination, "data");
        Directory.CreateDirectory(data);
        var members = ReadArMembers(debPath, what);
        if (members.Count == 0 || members[0].Name != "debian-binary")
            throw new TinyImageException($"{what}: not a .deb file (its first member is not debian-binary)");
        var control = members.FirstOrDefault(m => m.Name.StartsWith("control.tar", StringComparison.Ordinal));
        var payload = members.FirstOrDefault(m => m.Name.StartsWith("data.tar", StringComparison.Ordinal));
        if (control.Name is null || payload.Name is null)
            throw new TinyImageException($"{what}: not a .deb file (no control.tar or data.tar member)");
        try
        {
            File.WriteAllBytes(Path.Combine(destination, "control"), ReadControl(debPath, control, what));
            var manifest = ExtractData(debPath, payload, data, what);
            File.WriteAllText(Path.Combine(destination, "manifest"), manifest, new UTF8Encoding(false));
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ZstdNet.ZstdException or SharpCompress.Common.SharpCompressException
                                      or EndOfStreamException or ArgumentException)
        {
            throw new TinyImageException($"{what}: cannot unpack {Path.GetFileName(debPath)}: {e.Message}", e);
        }
    }

    private static List<(string Name, long Offset, long Size)> ReadArMembers(string debPath, string what)
    {
        using var file = File.OpenRead(debPath);
        Span<byte> magic = stackalloc byte[8];
        if (file.ReadAtLeast(magic, 8, throwOnEndOfStream: false) != 8 || !magic.SequenceEqual("!<arch>\n"u8))
            throw new TinyImageException($"{what}: not a .deb file (no ar signature)");
        var members = new List<(string, long, long)>();
        var header = new byte[ArHeaderBytes];
        while (file.Position < file.Length && members.Count < 16)
        {
            if (file.ReadAtLeast(header, ArHeaderBytes, throwOnEndOfStream: false) != ArHeaderBytes || header[58] != (byte)'`' || header[59] != (byte)'\n')
                throw new TinyImageException($"{what}: damaged ar header at offset {file.Position}");
            var name = Encoding.ASCII.GetString(header, 0, 16).TrimEnd(' ').TrimEnd('/');
            if (!long.TryParse(Encoding.ASCII.GetString(header, 48, 10).Trim(' '), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
                size > file.Length - file.Position)
                throw new TinyImageException($"{what}: damaged ar member '{name}' (bad size)");
            members.Add((name, file.Position, size));
            file.Position += size + (size & 1);
        }
        return members;
    }

    private static Stream OpenMember(string debPath, (string Name, long Offset, long Size) member, string what) =>
        Decompression.Open(new SliceStream(File.OpenRead(debPath), member.Offset, member.Size), member.Name)
        ?? throw new TinyImageException($"{what}: member {member.Name} uses a compression TinyImage does not read (xz, gzip, zstd or none)");

    private static byte[] ReadControl(string debPath, (string Name, long Offset, long Size) member, string what)
    {
        using var stream = OpenMember(debPath, member, what);
        using var tar = new TarReader(stream);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name.TrimStart('.', '/') != "control" || entry.DataStream is null) continue;
            if (entry.Length > MaxControlBytes) throw new TinyImageException($"{what}: its control file is larger than 1 MiB");
            using var copy = new MemoryStream();
            entry.DataStream.CopyTo(copy);
            return copy.ToArray();
        }
        throw new TinyImageException($"{what}: no control file in {member.Name}");
    }

    /// <summary>Extracts the data member and returns the manifest text.</summary>
    private static string ExtractData(string debPath, (string Name, long Offset, long Size) member, string data, string what)
    {
        var kinds = new Dictionary<string, char>(StringComparer.Ordinal) { [""] = 'd' };
        var directoryModes = new List<(string Path, UnixFileMode Mode)>();
        var manifest = new StringBuilder();
        long total = 0;
        var count = 0;
        using var stream = OpenMember(debPath, member, what);
        using var tar = new TarReader(stream);
        while (tar.GetNextEntry() is { } entry)
        {
            if (++count > MaxMembers) throw new TinyImageException($"{what}: more than {MaxMembers} members in {member.Name}");
            var path = MemberPath(entry.Name, what);
            if (path.Length == 0) continue; // "./", the root itself
            var mode = entry.Mode & (UnixFileMode)0xfff;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    PrepareParents(path, kinds, data, what);
                    if (kinds.TryGetValue(path, out var existing) && existing != 'd')
                        throw Refused(what, entry.Name, "a directory where the archive already put a file or link");
                    if (existing != 'd') Directory.CreateDirectory(Host(data, path));
                    kinds[path] = 'd';
                    directoryModes.Add((path, mode));
                    Append(manifest, 'd', mode, path, "");
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    total += entry.Length;
                    if (total > MaxDataBytes) throw new TinyImageException($"{what}: unpacks to more than {MaxDataBytes >> 30} GiB");
                    Replace(path, kinds, data, what, entry.Name);
                    using (var file = new FileStream(Host(data, path), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                        entry.DataStream?.CopyTo(file);
                    File.SetUnixFileMode(Host(data, path), mode);
                    kinds[path] = 'f';
                    Append(manifest, 'f', mode, path, "");
                    break;
                case TarEntryType.HardLink:
                    var target = MemberPath(entry.LinkName, what);
                    if (!kinds.TryGetValue(target, out var targetKind) || targetKind != 'f')
                        throw Refused(what, entry.Name, $"a hard link to '{entry.LinkName}', which is not a regular file earlier in the archive");
                    Replace(path, kinds, data, what, entry.Name);
                    HardLink.Create(Host(data, target), Host(data, path));
                    kinds[path] = 'f';
                    Append(manifest, 'f', File.GetUnixFileMode(Host(data, path)), path, "");
                    break;
                case TarEntryType.SymbolicLink:
                    if (entry.LinkName.Length == 0 || entry.LinkName.Contains('\n') || entry.LinkName.Contains('\0'))
                        throw Refused(what, entry.Name, "a symbolic link without a usable target");
                    Replace(path, kinds, data, what, entry.Name);
                    File.CreateSymbolicLink(Host(data, path), entry.LinkName);
                    kinds[path] = 'l';
                    Append(manifest, 'l', (UnixFileMode)0x1ff, path, entry.LinkName);
                    break;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                    break; // never unpacked: a scratch image gets its devices from the container runtime
                default:
                    throw Refused(what, entry.Name, $"an unsupported tar entry type {entry.EntryType}");
            }
        }
        // Modes last, deepest first, so a read-only directory does not stop its own contents being written.
        foreach (var (path, mode) in directoryModes.OrderByDescending(d => d.Path.Length))
            File.SetUnixFileMode(Host(data, path), mode);
        return manifest.ToString();
    }

    /// <summary>A member name as a relative path without "./": refused when absolute, with "..", or with a newline.</summary>
    private static string MemberPath(string name, string what)
    {
        if (name.StartsWith('/')) throw Refused(what, name, "an absolute path");
        if (name.Contains('\n') || name.Contains('\0')) throw Refused(what, name, "a newline in a path");
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") throw Refused(what, name, "'..' in a path");
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Makes the parents of <paramref name="path"/> directories; refused when one is a file or a link of the archive.</summary>
    private static void PrepareParents(string path, Dictionary<string, char> kinds, string data, string what)
    {
        for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            var parent = path[..slash];
            if (kinds.TryGetValue(parent, out var kind))
            {
                if (kind != 'd') throw Refused(what, path, $"it would be written through '{parent}', which is a {(kind == 'l' ? "symbolic link" : "file")}");
                continue;
            }
            Directory.CreateDirectory(Host(data, parent));
            kinds[parent] = 'd';
        }
    }

    /// <summary>Prepares the parents and removes an earlier file or link of the same path (the later member wins, as with tar).</summary>
    private static void Replace(string path, Dictionary<string, char> kinds, string data, string what, string name)
    {
        PrepareParents(path, kinds, data, what);
        if (!kinds.TryGetValue(path, out var kind)) return;
        if (kind == 'd') throw Refused(what, name, "a file where the archive already put a directory");
        File.Delete(Host(data, path));
    }

    private static string Host(string data, string path) => Path.Combine(data, path);

    private static void Append(StringBuilder manifest, char kind, UnixFileMode mode, string path, string target) =>
        manifest.Append(kind).Append('\0').Append(Convert.ToString((int)mode, 8)).Append('\0').Append(path).Append('\0').Append(target).Append('\n');

    private static TinyImageException Refused(string what, string member, string why) =>
        new($"{what}: refusing the member '{member}' of its data: {why}; the package was not unpacked");
}
