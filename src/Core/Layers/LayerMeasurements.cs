using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>
/// Remembers what a layer's entries measured to (<see cref="LayerContent"/>: diff_id, sizes, counts), so that a
/// rebuild of unchanged files finds its cached layer without reading them: the key is what the entries are (paths,
/// kinds, modes, owners, link targets, inline content) and the <see cref="FileStamp"/> of every source file, plus this
/// build of TinyImage (its tar writer could change). Entries with a source file changed too recently to trust its
/// stamp (<see cref="FileStamp.IsSettled"/>) get no key, so they are always read.
/// </summary>
/// <remarks>
/// Layout: <c>DIR/KEYHEX</c> holds <c>DIFFID UNCOMPRESSEDSIZE FILES ENTRIES CONTENTBYTES</c>, written to a temporary
/// name and renamed. An entry that does not parse is a miss and is written again. Only a file system that lies about
/// its times could make a wrong one; when the layer is then written, the difference shows as a change during the build
/// and the entry is forgotten.
/// </remarks>
internal sealed class LayerMeasurements(string directory)
{
    private const string TemporaryPrefix = ".";
    private const string TemporarySuffix = ".tmp";

    /// <summary>Changes whenever TinyImage.Core is rebuilt from other sources: measurements of an older tar writer are not reused.</summary>
    private static readonly string WriterVersion = typeof(LayerWriter).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    public string Directory { get; } = directory;

    /// <summary>The key of <paramref name="entries"/> written with <paramref name="options"/>, stamped at <paramref name="now"/>; null when a source file is missing, not regular or not settled.</summary>
    public static string? KeyOf(LayerOptions options, IReadOnlyList<FileEntry> entries, DateTimeOffset now)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new StringBuilder();
        void Add(StringBuilder text)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(text.Append('\0').ToString()));
            text.Clear();
        }
        Add(line.Append(CultureInfo.InvariantCulture, $"tinyimage-layer {WriterVersion} {options.ModificationTime.ToUnixTimeSeconds()}"));
        foreach (var entry in entries)
        {
            line.Append(CultureInfo.InvariantCulture, $"{entry.Kind} {entry.Mode} {entry.Uid} {entry.Gid} {entry.Path}\0{entry.LinkTarget}\0");
            if (entry.Content is { } content)
                line.Append("inline ").Append(Convert.ToHexStringLower(SHA256.HashData(content)));
            else if (entry.SourcePath is { } source)
            {
                if (HostFileStatus.StampOf(source) is not { } stamp || !stamp.IsSettled(now)) return null;
                line.Append(source).Append('\0').Append(stamp.ToString());
            }
            Add(line);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The measurement stored under <paramref name="key"/>; null when there is none or it is damaged.</summary>
    public LayerContent? TryRead(string key)
    {
        string text;
        try
        {
            var path = Path.Combine(Directory, key);
            if (!File.Exists(path)) return null;
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var parts = text.TrimEnd('\n').Split(' ');
        return parts.Length == 5 && Digest.TryParse(parts[0], out var diffId)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var uncompressed)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var files)
            && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var entries)
            && long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var contentBytes)
            ? new LayerContent { DiffId = diffId, UncompressedSize = uncompressed, FileCount = files, EntryCount = entries, ContentSize = contentBytes }
            : null;
    }

    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>; best effort (a measurement is only a shortcut).</summary>
    public void Write(string key, LayerContent content) =>
        TemporaryFiles.TryReplace(Path.Combine(Directory, key), string.Create(CultureInfo.InvariantCulture,
            $"{content.DiffId} {content.UncompressedSize} {content.FileCount} {content.EntryCount} {content.ContentSize}\n"));

    /// <summary>Forgets the measurement under <paramref name="key"/> (it proved wrong).</summary>
    public void Forget(string key) => TemporaryFiles.TryDelete(Path.Combine(Directory, key));

    /// <summary>Removes every measurement and temporary file; they are rebuilt by reading the files once.</summary>
    public void Clear()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory)) TemporaryFiles.TryDelete(file);
    }

    /// <summary>Removes the temporary files killed builds left (unlocked and at least <paramref name="age"/> old).</summary>
    public void SweepStaleTemporaryFiles(TimeSpan age)
    {
        if (System.IO.Directory.Exists(Directory)) StaleTemporaryFiles.SweepFiles(Directory, TemporaryPrefix, TemporarySuffix, age);
    }
}
