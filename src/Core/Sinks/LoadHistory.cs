using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sinks;

/// <summary>
/// What the last <c>--load</c> of each image of a recipe gave, to guess, before the image is built, whether this build
/// gives another image than the one the engine has under its name: in an edit-build-run loop it does, and the load is
/// then opened while the image is built (<see cref="OpenedLoad"/>), as when the engine has no image of that name. Kept
/// under the cache directory in <c>loads/</c>, one small file per recipe and image (the image's name, its ID, a hash of
/// what else decides it, and the stamps of the host files it was made from). A guess only ever costs time: a load
/// opened for an image that turns out the same is ended with no image in it, and without a guess nothing is opened.
/// </summary>
public sealed class LoadHistory
{
    private const string Magic = "tinyrun-load-history-1";

    /// <summary>The most host files a record keeps; an image made of more is not guessed about (its stamps would cost more than the guess saves).</summary>
    internal const int MaxSources = 5_000;

    private const int MaxRecordBytes = 8 << 20;

    private const string DirectoryName = "loads";

    private readonly string _directory;

    private LoadHistory(string directory) => _directory = directory;

    /// <summary>The history kept in <paramref name="directory"/>, as it is: for tests.</summary>
    internal static LoadHistory At(string directory) => new(directory);

    /// <summary>
    /// The history in <c>loads/</c> of the cache directory (<see cref="CacheLocation"/>), made if missing; null when
    /// others could change it (see <see cref="PrivateDirectory"/>): the caches themselves say so.
    /// </summary>
    public static LoadHistory? Open()
    {
        try
        {
            return new LoadHistory(PrivateDirectory.Ensure(Path.Combine(CacheLocation.Root(), DirectoryName), "the load history", "set TINYRUN_CACHE to a directory of your own"));
        }
        catch (TinyImageException)
        {
            return null;
        }
    }

    /// <summary>
    /// What, besides the recipe and the host files, decides an image: the recipe's arguments, the platform,
    /// <c>SOURCE_DATE_EPOCH</c> and this build of TinyImage; as a hash.
    /// </summary>
    public static string Context(IReadOnlyDictionary<string, string> arguments, string? platform)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in arguments.OrderBy(a => a.Key, StringComparer.Ordinal))
            text.Append(key).Append('=').Append(value).Append('\0');
        text.Append("platform=").Append(platform).Append('\0')
            .Append("SOURCE_DATE_EPOCH=").Append(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH")).Append('\0')
            .Append(typeof(LoadHistory).Assembly.ManifestModule.ModuleVersionId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// Whether the image <paramref name="index"/> of the recipe at <paramref name="recipePath"/>, named
    /// <paramref name="name"/>, probably differs from the engine's image of that name, <paramref name="engineImage"/>:
    /// the last load of it gave another image, or under other arguments, or a host file it was made from (or the recipe)
    /// changed since. False when there is no record to go by: nothing is guessed.
    /// </summary>
    public bool LikelyChanged(string recipePath, int index, string name, string context, string engineImage)
    {
        if (Read(RecordPath(recipePath, index)) is not { } record || record.Name != name) return false;
        if (record.Image != engineImage || record.Context != context) return true;
        try
        {
            foreach (var (stamp, path) in record.Sources)
                if (HostFileStatus.StampOf(path)?.ToString() != stamp) return true;
        }
        catch (TinyImageException)
        {
            return true; // a file that cannot be examined now: the build will say so
        }
        return false;
    }

    /// <summary>
    /// Records that the image <paramref name="index"/> of the recipe at <paramref name="recipePath"/>, named
    /// <paramref name="name"/>, is <paramref name="image"/>, made from the host files <paramref name="sources"/>;
    /// best effort (a record that cannot be written only means no guess next time).
    /// </summary>
    public void Record(string recipePath, int index, string name, string context, string image, IEnumerable<string> sources)
    {
        var path = RecordPath(recipePath, index);
        var text = new StringBuilder().Append(Magic).Append('\n').Append(name).Append('\n').Append(image).Append('\n').Append(context).Append('\n');
        var count = 0;
        try
        {
            foreach (var source in sources.Prepend(recipePath).Distinct(StringComparer.Ordinal))
            {
                if (source.Contains('\n')) continue; // not recorded, so never compared: a guess, not a check
                if (++count > MaxSources || HostFileStatus.StampOf(source) is not { } stamp)
                {
                    TemporaryFiles.TryDelete(path); // an image of more files, or of one gone already: not guessed about
                    return;
                }
                text.Append(stamp).Append(' ').Append(source).Append('\n');
            }
        }
        catch (TinyImageException)
        {
            TemporaryFiles.TryDelete(path);
            return;
        }
        var record = text.ToString();
        if (ReadText(path) != record) TemporaryFiles.TryReplace(path, record); // an unchanged image's record stays as it is
    }

    /// <summary>
    /// Removes from the history in <paramref name="cacheDirectory"/> the records of recipe files that are gone, damaged
    /// ones, and the temporary files of writes killed more than a minute ago; returns how many records went and the
    /// bytes freed. A build reading a record meanwhile only loses its guess.
    /// </summary>
    public static (int Records, long Bytes) Prune(string cacheDirectory)
    {
        var directory = new DirectoryInfo(Path.Combine(cacheDirectory, DirectoryName));
        var (records, bytes) = (0, 0L);
        if (!directory.Exists) return (records, bytes);
        foreach (var file in directory.EnumerateFiles())
        {
            var temporary = file.Name.StartsWith('.') && file.Name.EndsWith(".tmp", StringComparison.Ordinal);
            var gone = temporary
                ? file.LastWriteTimeUtc < DateTime.UtcNow - TimeSpan.FromMinutes(1)
                : Read(file.FullName) is not { Sources: [var (_, recipe), ..] } || !File.Exists(recipe);
            if (!gone) continue;
            TemporaryFiles.TryDelete(file.FullName);
            if (File.Exists(file.FullName)) continue;
            bytes += file.Length;
            if (!temporary) records++;
        }
        return (records, bytes);
    }

    internal string RecordPath(string recipePath, int index) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Path.GetFullPath(recipePath)}\0{index}"))));

    /// <summary>
    /// The text of the record at <paramref name="path"/>; null when it is missing, too long or not a regular file (opened
    /// as <see cref="RegularFile"/> opens: never through a link, and a FIFO is refused, not waited on).
    /// </summary>
    private static string? ReadText(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(RegularFile.ReadAllBytes(path, MaxRecordBytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
        {
            return null;
        }
    }

    private sealed record Entry(string Name, string Image, string Context, IReadOnlyList<(string Stamp, string Path)> Sources);

    /// <summary>The record at <paramref name="path"/>; null when it is missing, too long, damaged or not a regular file.</summary>
    private static Entry? Read(string path)
    {
        if (ReadText(path) is not { } text) return null;
        var lines = text.Split('\n');
        if (lines.Length < 5 || lines[0] != Magic || lines[^1] != "") return null;
        var sources = new List<(string, string)>();
        foreach (var line in lines.AsSpan(4, lines.Length - 5))
        {
            var space = line.IndexOf(' ');
            if (space <= 0 || !FileStamp.TryParse(line[..space], out _)) return null;
            sources.Add((line[..space], line[(space + 1)..]));
        }
        return new Entry(lines[1], lines[2], lines[3], sources);
    }
}
