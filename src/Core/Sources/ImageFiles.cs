using System.Formats.Tar;

namespace TinyImage.Core.Sources;

/// <summary>
/// The files of an image layout or archive someone else made: a directory, or a tar whose members are found once and
/// then read in place. Only regular files are read, never outside the directory, and documents within limits: each at
/// most <see cref="UntrustedFiles.MaxDocumentSize"/> (or its own limit), all of them together at most <see cref="MaxDocumentBytes"/>.
/// </summary>
internal sealed class ImageFiles
{
    /// <summary>The most the documents of one layout or archive may hold together: an index may name a manifest many times.</summary>
    public const long MaxDocumentBytes = 64L << 20;

    private readonly Dictionary<string, (long Offset, long Length)>? _members;
    private long _documentBytes;

    private ImageFiles(string path, Dictionary<string, (long Offset, long Length)>? members)
    {
        Path = path;
        _members = members;
    }

    /// <summary>The directory or tar, as the user named it.</summary>
    public string Path { get; }

    /// <summary>Opens the layout directory or the archive at <paramref name="path"/>; a tar is scanned for its members.</summary>
    /// <exception cref="TinyImageException">It is missing, not a directory or regular file, or not a readable tar.</exception>
    public static ImageFiles Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return new ImageFiles(path, null);
        if (!System.IO.Path.Exists(path))
            throw new TinyImageException($"{path}: no such file");
        if (!UntrustedFiles.IsRegularFile(path))
            throw new TinyImageException($"{path}: not a regular file; give an image archive (.tar) written by tinyrun, docker save or skopeo");
        var members = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            using var file = new BoundedTarStream(File.OpenRead(path), BoundedTarStream.DefaultMaxMetadataSize);
            using var reader = new TarReader(file);
            while (reader.GetNextEntry() is { } entry)
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                    members[Normalize(entry.Name)] = (entry.DataOffset, entry.Length);
        }
        catch (Exception e) when (e is UnauthorizedAccessException || ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"{path}: not a tar archive or damaged ({ArchiveText.Printable(e.Message)})", e);
        }
        if (members.Count == 0)
            throw new TinyImageException($"{path}: not an image archive (no files in it)");
        return new ImageFiles(path, members);
    }

    /// <summary>Whether the layout or archive has an entry named <paramref name="name"/> (a file of any kind in a directory).</summary>
    public bool Contains(string name) =>
        _members?.ContainsKey(Normalize(name)) ?? (FileOf(name) is { } file && System.IO.Path.Exists(file));

    /// <summary>The size of the member <paramref name="name"/>.</summary>
    public long LengthOf(string name) => _members is null ? new FileInfo(RegularFile(name)).Length : Member(name).Length;

    /// <summary>Opens the member <paramref name="name"/> for reading from its start; the caller disposes it.</summary>
    public Stream OpenMember(string name)
    {
        try
        {
            if (_members is null) return new FileStream(RegularFile(name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var (offset, length) = Member(name);
            return new SliceStream(new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), offset, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"{Describe(name)}: cannot read it ({ArchiveText.Printable(e.Message)})", e);
        }
    }

    /// <summary>The bytes of the document <paramref name="name"/>, refused when larger than <paramref name="limit"/>.</summary>
    public byte[] ReadDocument(string name, int limit = UntrustedFiles.MaxDocumentSize)
    {
        if (LengthOf(name) > limit) throw UntrustedFiles.TooLarge(Describe(name), limit);
        using var stream = OpenMember(name);
        byte[] bytes;
        try
        {
            // Bounded while read, too: a file may grow after it is measured.
            bytes = UntrustedFiles.ReadBounded(stream, Describe(name), limit);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"{Describe(name)}: cannot read it ({ArchiveText.Printable(e.Message)})", e);
        }
        _documentBytes += bytes.Length;
        if (_documentBytes > MaxDocumentBytes)
            throw new TinyImageException($"{Path}: its documents hold more than {MaxDocumentBytes >> 20} MiB together, more than an image layout or archive needs; it is damaged or hostile");
        return bytes;
    }

    /// <summary>How errors name the member <paramref name="name"/>: the archive, then the member.</summary>
    public string Describe(string name) => $"{Path}: {ArchiveJson.Display(name)}";

    private (long Offset, long Length) Member(string name) =>
        _members!.TryGetValue(Normalize(name), out var found) ? found : throw Missing(name);

    /// <summary>The path of <paramref name="name"/> in the directory, checked to be a regular file.</summary>
    private string RegularFile(string name)
    {
        var file = FileOf(name) ?? throw new TinyImageException($"{Describe(name)}: a name that leaves the layout directory; the layout is damaged or hostile");
        if (!System.IO.Path.Exists(file)) throw Missing(name);
        return UntrustedFiles.IsRegularFile(file) ? file
            : throw new TinyImageException($"{Describe(name)} is not a regular file; an image document or blob must be one");
    }

    /// <summary>The path of <paramref name="name"/> in the directory, or null when the name leaves it (absolute, or through <c>..</c>).</summary>
    private string? FileOf(string name)
    {
        var normalized = Normalize(name);
        if (normalized.Length == 0 || System.IO.Path.IsPathRooted(normalized) || normalized.Contains('\0', StringComparison.Ordinal)
            || normalized.Split('/').Any(part => part == ".."))
            return null;
        return System.IO.Path.Combine(Path, normalized);
    }

    private TinyImageException Missing(string name) =>
        new($"{Path}: the {(_members is null ? "layout" : "archive")} names {ArchiveJson.Display(name)} but does not contain it; the {(_members is null ? "layout" : "archive")} is incomplete");

    private static string Normalize(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
}
