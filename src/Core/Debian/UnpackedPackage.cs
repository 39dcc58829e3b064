using System.Text;

namespace TinyImage.Core.Debian;

/// <summary>
/// A package unpacked in the cache (<c>unpacked/SHA256/</c>): its files under <c>data/</c>, its control stanza
/// (<c>control</c>, kept for a dpkg status entry in the image) and its <c>manifest</c>: one record per data member in
/// archive order, fields separated by NUL (kind, octal mode, path, link target), records by LF.
/// </summary>
internal sealed class UnpackedPackage
{
    private UnpackedPackage(string directory, LockedPackage package, ControlStanza control, IReadOnlyList<ManifestEntry> entries)
    {
        Directory = directory;
        Package = package;
        Control = control;
        Entries = entries;
    }

    /// <summary>Directory is the package's directory in the cache.</summary>
    public string Directory { get; }

    /// <summary>DataDirectory holds the package's files.</summary>
    public string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>Package is the pinned package this is.</summary>
    public LockedPackage Package { get; }

    /// <summary>Control is the package's control stanza (from its control.tar).</summary>
    public ControlStanza Control { get; }

    /// <summary>Entries are the data members in archive order (a path given twice: the later one counts).</summary>
    public IReadOnlyList<ManifestEntry> Entries { get; }

    /// <summary>Read loads an unpacked package's control stanza and manifest.</summary>
    /// <exception cref="TinyImageException">A damaged cache entry (it should be deleted).</exception>
    public static UnpackedPackage Read(string directory, LockedPackage package)
    {
        var what = $"{package} in the cache at {directory}";
        try
        {
            var stanzas = ControlStanza.ReadAll(File.ReadAllText(Path.Combine(directory, "control")), Path.Combine(directory, "control"));
            if (stanzas.Count != 1) throw new TinyImageException($"{what}: its control file has {stanzas.Count} stanzas; delete {directory} and build again");
            var entries = new List<ManifestEntry>();
            foreach (var line in File.ReadAllText(Path.Combine(directory, "manifest"), Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split('\0');
                if (fields.Length != 4 || fields[0].Length != 1 || fields[0][0] is not ('d' or 'f' or 'l'))
                    throw new TinyImageException($"{what}: a damaged manifest; delete {directory} and build again");
                entries.Add(new ManifestEntry(fields[0][0], (UnixFileMode)Convert.ToInt32(fields[1], 8), fields[2], fields[3]));
            }
            return new UnpackedPackage(directory, package, stanzas[0], entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            throw new TinyImageException($"{what}: cannot read it ({e.Message}); delete {directory} and build again", e);
        }
    }
}
