using System.Formats.Tar;
using System.Text;
using TinyImage.Core.Debian;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Packages;

/// <summary>
/// The Debian packages an image says it holds, read as scanners read them: <c>/var/lib/dpkg/status.d/NAME</c> (the
/// control fields) and <c>NAME.md5sums</c> (the files of it the image ships). Bounded: an archive is untrusted.
/// </summary>
public sealed class ImagePackages
{
    private const int MaxFileSize = 1 << 20;
    private const int MaxPackages = 4096;
    private const string Prefix = "/var/lib/dpkg/status.d/";

    private readonly Dictionary<string, string> _owners;

    private ImagePackages(IReadOnlyList<(string Name, string Version, string Architecture)> packages, Dictionary<string, string> owners)
    {
        Packages = packages;
        _owners = owners;
    }

    /// <summary>The packages, sorted by name.</summary>
    public IReadOnlyList<(string Name, string Version, string Architecture)> Packages { get; }

    /// <summary>The package whose md5sums list <paramref name="path"/> (an absolute path in the image), or null.</summary>
    public string? Owner(string path) => _owners.GetValueOrDefault(path);

    /// <summary>The packages of <paramref name="image"/>: the status.d files of its layers, a later layer's copy winning.</summary>
    public static ImagePackages Read(ArchiveImage image)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var layer in image.Layers)
        {
            try
            {
                using var stream = new BoundedTarStream(layer.OpenUncompressed(), BoundedTarStream.DefaultMaxMetadataSize);
                using var reader = new TarReader(stream);
                while (reader.GetNextEntry(copyData: false) is { } entry)
                {
                    var path = ArchiveImage.PathOf(entry.Name);
                    if (!path.StartsWith(Prefix, StringComparison.Ordinal) || path.IndexOf('/', Prefix.Length) >= 0) continue;
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is not { } data || entry.Length > MaxFileSize)
                        continue;
                    if (files.Count >= 2 * MaxPackages && !files.ContainsKey(path)) break;
                    var bytes = new byte[entry.Length];
                    data.ReadExactly(bytes);
                    files[path] = bytes;
                }
            }
            catch (Exception e) when (ArchiveText.IsTarDamage(e))
            {
                throw new TinyImageException($"layer {ArchiveText.Printable(layer.Name)} is damaged ({ArchiveText.Printable(e.Message)}); the archive cannot be read", e);
            }
        }
        var packages = new List<(string, string, string)>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, bytes) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var name = path[Prefix.Length..];
            if (name.EndsWith(".md5sums", StringComparison.Ordinal))
            {
                foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n'))
                    if (line.Length > 34 && line[32..34] == "  ") owners.TryAdd("/" + line[34..].TrimStart('/'), name[..^".md5sums".Length]);
                continue;
            }
            try
            {
                foreach (var stanza in ControlStanza.ReadAll(Encoding.UTF8.GetString(bytes), path).Take(1))
                    packages.Add((stanza["Package"] ?? name, stanza["Version"] ?? "?", stanza["Architecture"] ?? "?"));
            }
            catch (TinyImageException)
            {
                packages.Add((name, "(unreadable)", "?")); // not ours to refuse: inspect shows what is there
            }
        }
        return new ImagePackages(packages, owners);
    }
}
