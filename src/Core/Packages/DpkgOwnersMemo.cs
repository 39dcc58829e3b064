using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Packages;

/// <summary>
/// The owners <see cref="DpkgDatabase.Read"/> found for an image's paths, remembered under the dpkg cache directory
/// (<c>owners/KEY</c>), keyed by the root, the stamps of its status file and <c>info</c> directory, and the paths; so
/// a rebuild of an unchanged image on an unchanged database reads neither the status file (1 MB on a desktop) nor
/// the index of the lists (up to 12 MB), and parses no stanza. dpkg replaces the status file and renames list files
/// into the info directory on every run, which changes those stamps (<see cref="FileStamp"/>: device, inode, size and
/// times, of which the index of the lists trusts the size and the times alone). A record is made only from a database
/// that had settled, and kept only when it did not change while it was read. A record that does not parse or whose
/// checksum fails is a miss; <see cref="Prune"/> removes records of databases that changed since and old ones.
/// </summary>
public sealed class DpkgOwnersMemo
{
    /// <summary>Part of every key: change it whenever what <see cref="DpkgDatabase.Read"/> gives for the same database changes (a field kept, a spelling looked up), or records made before are believed.</summary>
    private const string Magic = "tinyrun-dpkg-owners-1";
    private const string DirectoryName = "owners";
    private const int MaxBytes = 16 << 20;

    /// <summary>How long a record is kept by <see cref="Prune"/> even when its database has not changed: one per image's paths, they would add up.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);

    private readonly string _file;
    private readonly string _statusPath;
    private readonly string _infoPath;
    private readonly string _header;

    private DpkgOwnersMemo(string file, string statusPath, string infoPath, string header) =>
        (_file, _statusPath, _infoPath, _header) = (file, statusPath, infoPath, header);

    /// <summary>
    /// The record for <paramref name="paths"/> (in their order: where two name one file, the first is its image path) in
    /// <paramref name="root"/>'s database, under <paramref name="cacheDirectory"/>; null when it cannot be kept: no
    /// database, one changed in the last seconds, or a path no record line can hold.
    /// </summary>
    public static DpkgOwnersMemo? For(HostFiles root, string cacheDirectory, IReadOnlyList<string> paths, DateTimeOffset now)
    {
        if (paths.Any(p => p.Contains('\n') || p.Contains('\t'))) return null;
        var statusPath = root.HostPath("/var/lib/dpkg/status");
        var infoPath = root.HostPath("/var/lib/dpkg/info");
        if (Header(statusPath, infoPath, now) is not { } header) return null;
        var key = new StringBuilder(header);
        foreach (var path in paths) key.Append(path).Append('\n');
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())));
        return new DpkgOwnersMemo(Path.Combine(cacheDirectory, DirectoryName, name), statusPath, infoPath, header);
    }

    /// <summary>
    /// What a record of this database starts with: the magic, the two paths and their stamps; null when either is
    /// missing or not settled at <paramref name="now"/> (null <paramref name="now"/>: settled or not).
    /// </summary>
    private static string? Header(string statusPath, string infoPath, DateTimeOffset? now)
    {
        try
        {
            if (HostFileStatus.StampOf(statusPath) is not { } status || HostFileStatus.DirectoryStampOf(infoPath) is not { } info) return null;
            if (now is { } at && (!status.IsSettled(at) || !info.IsSettled(at))) return null;
            if (statusPath.Contains('\n') || infoPath.Contains('\n')) return null;
            return $"{Magic}\n{status} {statusPath}\n{info} {infoPath}\n";
        }
        catch (TinyImageException)
        {
            return null;
        }
    }

    /// <summary>The owners remembered, by image path; null when there is no intact record.</summary>
    public Dictionary<string, InstalledPackage>? TryRead()
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(RegularFile.ReadAllBytes(_file, MaxBytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
        {
            return null;
        }
        if (!text.StartsWith(_header, StringComparison.Ordinal)) return null;
        var hashEnd = text.IndexOf('\n', _header.Length);
        if (hashEnd < 0) return null;
        var body = text[(hashEnd + 1)..];
        if (text[_header.Length..hashEnd] != Checksum(body)) return null;
        try
        {
            return Parse(body);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Remembers <paramref name="owners"/>, unless the database changed since the record was keyed; best effort.</summary>
    public void Write(IReadOnlyDictionary<string, InstalledPackage> owners)
    {
        var packages = new List<InstalledPackage>();
        var numbers = new Dictionary<InstalledPackage, int>(ReferenceEqualityComparer.Instance);
        var body = new StringBuilder();
        foreach (var (path, package) in owners.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            if (!numbers.TryGetValue(package, out var number))
            {
                if (new[] { package.Name, package.Version, package.Architecture, package.Source ?? "" }.Any(f => f.Contains('\n') || f.Contains('\t'))) return;
                numbers[package] = number = packages.Count;
                packages.Add(package);
            }
            body.Append("O\t").Append(path).Append('\t').Append(number.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        var head = new StringBuilder();
        foreach (var package in packages)
            head.Append("P\t").Append(package.Name).Append('\t').Append(package.Version).Append('\t').Append(package.Architecture).Append('\t')
                .Append(package.Source is null ? "-" : "=" + package.Source).Append('\t')
                .Append(package.Control.Length.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(package.Control).Append('\n');
        var all = head.Append(body).ToString();
        if (Header(_statusPath, _infoPath, now: null) != _header) return; // changed while it was read: remember nothing
        var record = _header + Checksum(all) + "\n" + all;
        if (Encoding.UTF8.GetByteCount(record) > MaxBytes) return; // it would never be read
        TemporaryFiles.TryReplace(_file, record);
    }

    private static Dictionary<string, InstalledPackage> Parse(string body)
    {
        var packages = new List<InstalledPackage>();
        var owners = new Dictionary<string, InstalledPackage>(StringComparer.Ordinal);
        var at = 0;
        while (at < body.Length)
        {
            var end = body.IndexOf('\n', at);
            if (end < 0) throw new FormatException("a line without its end");
            var fields = body[at..end].Split('\t');
            at = end + 1;
            switch (fields)
            {
                case ["P", var name, var version, var architecture, var source, var length]:
                    if (!int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > body.Length - at - 1 || body[at + count] != '\n')
                        throw new FormatException("a control text of another length");
                    packages.Add(new InstalledPackage(name, version, architecture, source == "-" ? null : source.StartsWith('=') ? source[1..] : throw new FormatException("a source"),
                        body.Substring(at, count)));
                    at += count + 1;
                    break;
                case ["O", var path, var number]:
                    if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= packages.Count)
                        throw new FormatException("an owner of no package");
                    owners[path] = packages[index];
                    break;
                default:
                    throw new FormatException("an unknown line");
            }
        }
        return owners;
    }

    private static string Checksum(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));

    /// <summary>
    /// Removes from <paramref name="cacheDirectory"/> the records of databases that changed since (or are gone), those
    /// older than <see cref="MaxAge"/> (all with <paramref name="all"/>), and the temporary files of writes killed more
    /// than a minute ago; returns how many records went and the bytes freed. A build reading a record meanwhile only
    /// reads its database instead.
    /// </summary>
    public static (int Records, long Bytes) Prune(string cacheDirectory, bool all = false)
    {
        var directory = new DirectoryInfo(Path.Combine(cacheDirectory, DirectoryName));
        var (records, bytes) = (0, 0L);
        if (!directory.Exists) return (records, bytes);
        foreach (var file in directory.EnumerateFiles())
        {
            var temporary = file.Name.StartsWith('.') && file.Name.EndsWith(".tmp", StringComparison.Ordinal);
            var keep = temporary ? file.LastWriteTimeUtc >= DateTime.UtcNow - TimeSpan.FromMinutes(1)
                : !all && file.LastWriteTimeUtc >= DateTime.UtcNow - MaxAge && IsCurrent(file.FullName);
            if (keep) continue;
            TemporaryFiles.TryDelete(file.FullName);
            if (File.Exists(file.FullName)) continue;
            bytes += file.Length;
            if (!temporary) records++;
        }
        return (records, bytes);
    }

    /// <summary>Whether the record at <paramref name="file"/> is of a database as it is now.</summary>
    private static bool IsCurrent(string file)
    {
        string[] lines;
        try
        {
            lines = Encoding.UTF8.GetString(RegularFile.ReadAllBytes(file, MaxBytes)).Split('\n', 4);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
        {
            return false;
        }
        if (lines is not [Magic, var status, var info, _]) return false;
        string PathOf(string line) => line.IndexOf(' ') is var space and > 0 ? line[(space + 1)..] : "";
        return Header(PathOf(status), PathOf(info), now: null) == $"{Magic}\n{status}\n{info}\n";
    }
}
