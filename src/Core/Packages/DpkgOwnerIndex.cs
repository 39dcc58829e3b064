using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Packages;

/// <summary>
/// Every path the <c>info/*.list</c> files of a root's dpkg database name, with its package (<c>NAME:ARCH</c>), kept in
/// a cache directory as one file sorted by path, so a build looks up its few dozen paths by binary search instead of
/// reading every list (a desktop has thousands, 10 MB). The file says which database it was made from (the status
/// file's size and time and the info directory's time: dpkg replaces both by renaming on every run) and the SHA-256
/// of its records; when either does not match, it is made again.
/// </summary>
internal static class DpkgOwnerIndex
{
    private const string Magic = "tinyrun-dpkg-index-1";

    /// <summary>Where the index files' checked hashes are remembered under their stamps, beside them.</summary>
    private const string VerifiedDirectory = "verified";

    /// <summary>The index of <paramref name="root"/>'s database, from <paramref name="cacheDirectory"/> or made there; null when it cannot be.</summary>
    /// <param name="makeEntries">Reads every list: (path, NAME:ARCH) in status order; the first for a path owns it.</param>
    public static Lookup? Open(HostFiles root, string cacheDirectory, Func<IEnumerable<(string Path, string Package)>> makeEntries)
    {
        // The index is made from these two (the status, the lists in info/): a build that uses it has looked at them.
        InputRecorder.Observe(root.HostPath("/var/lib/dpkg/status"));
        InputRecorder.Observe(root.HostPath("/var/lib/dpkg/info"));
        var status = new FileInfo(root.HostPath("/var/lib/dpkg/status"));
        var info = new DirectoryInfo(root.HostPath("/var/lib/dpkg/info"));
        if (!status.Exists || !info.Exists) return null;
        var stamp = $"{Magic} {status.Length} {status.LastWriteTimeUtc.Ticks} {info.LastWriteTimeUtc.Ticks}\n";
        var file = Path.Combine(cacheDirectory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(root.HostPath("/"))))));
        if (Read(file, stamp, new FileHashMemo(Path.Combine(cacheDirectory, VerifiedDirectory))) is { } cached) return cached;
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, package) in makeEntries())
            if (path.Length > 0 && !path.Contains('\n') && !path.Contains('\t')) first.TryAdd(path, package);
        var body = new StringBuilder();
        foreach (var (path, package) in first.OrderBy(e => Encoding.UTF8.GetBytes(e.Key), ByteOrder.Instance))
            body.Append(path).Append('\t').Append(package).Append('\n');
        var records = Encoding.UTF8.GetBytes(body.ToString());
        var head = Encoding.UTF8.GetBytes(stamp + Convert.ToHexStringLower(SHA256.HashData(records)) + "\n");
        byte[] bytes = [.. head, .. records];
        try
        {
            Directory.CreateDirectory(cacheDirectory);
            var temp = file + "." + Path.GetRandomFileName() + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not kept: the next build reads the lists again.
        }
        return new Lookup(bytes, head.Length);
    }

    /// <param name="verified">
    /// Where the index's hash, once checked, is remembered under the file's stamp: an index unchanged since is not hashed
    /// again (12 MB on a desktop), as the layer cache trusts a checked blob; a damaged one has another stamp.
    /// </param>
    private static Lookup? Read(string file, string stamp, FileHashMemo verified)
    {
        try
        {
            // The stamp, the SHA-256 of the records (a damaged index is made again, never believed), the records.
            var bytes = File.ReadAllBytes(file);
            var stampBytes = Encoding.UTF8.GetBytes(stamp);
            const int HashLine = 65;
            if (!bytes.AsSpan().StartsWith(stampBytes) || bytes.Length < stampBytes.Length + HashLine || bytes[stampBytes.Length + HashLine - 1] != (byte)'\n') return null;
            var start = stampBytes.Length + HashLine;
            var hash = Encoding.ASCII.GetString(bytes, stampBytes.Length, HashLine - 1);
            var checkedHash = verified.Remember(file, "tinyimage-dpkg-index-checked",
                () => Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(start))), t => t.Length == 64 && t.All(char.IsAsciiHexDigitLower));
            return hash == checkedHash ? new Lookup(bytes, start) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The sorted records <c>path TAB NAME:ARCH LF</c> after the stamp line, searched in place.</summary>
    internal sealed class Lookup(byte[] bytes, int start)
    {
        /// <summary>The package (<c>NAME:ARCH</c>) whose list names <paramref name="path"/>, or null.</summary>
        public string? Package(string path)
        {
            var key = Encoding.UTF8.GetBytes(path);
            int low = start, high = bytes.Length;
            while (low < high)
            {
                var middle = low + (high - low) / 2;
                var lineStart = middle == start ? start : Array.LastIndexOf(bytes, (byte)'\n', middle - 1, middle - start) + 1;
                if (lineStart < start) lineStart = start;
                var lineEnd = Array.IndexOf(bytes, (byte)'\n', lineStart);
                if (lineEnd < 0) return null; // damaged: the last record has no end
                var tab = Array.IndexOf(bytes, (byte)'\t', lineStart, lineEnd - lineStart);
                if (tab < 0) return null;
                var order = ByteOrder.Compare(key, bytes.AsSpan(lineStart, tab - lineStart));
                if (order == 0) return Encoding.UTF8.GetString(bytes, tab + 1, lineEnd - tab - 1);
                if (order < 0) high = lineStart;
                else low = lineEnd + 1;
            }
            return null;
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => Compare(x, y.AsSpan());

        public static int Compare(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => x.SequenceCompareTo(y);
    }
}
