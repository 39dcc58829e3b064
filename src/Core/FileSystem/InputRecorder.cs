using System.Globalization;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// Writes down every host path a build looks at, and what it was then (<see cref="HostFileStatus.IdentityOf(string, bool)"/>):
/// each path component a lookup walks, the files read, the directories listed, and the paths that did not exist (a
/// library the search did not find there). Every <see cref="HostFileStatus"/> call of the build's flow (an
/// <see cref="AsyncLocal{T}"/>: the tasks it starts too) lands here; a reader that opens a path without one calls
/// <see cref="Observe"/> first. If each path is still what it was, the build would look at the same things and find
/// the same: <see cref="Build.UnchangedBuilds"/> relies on it, and a test compares the list with strace's.
/// </summary>
public sealed class InputRecorder
{
    /// <summary>The most paths a record holds; a build that looks at more is not recorded (checking them would cost as much).</summary>
    private const int MaxPaths = 200_000;

    private static readonly AsyncLocal<InputRecorder?> CurrentRecorder = new();

    private readonly Dictionary<(string Path, bool FollowLinks), string> _seen = [];
    private readonly string[] _ignored;
    private readonly long _settledBefore;

    /// <param name="ignored">Directories whose paths are not inputs (the cache, whose content the build checks itself).</param>
    /// <param name="now">When the build started: a path changed less than <see cref="FileStamp.SettleTime"/> before it is not trusted.</param>
    public InputRecorder(IEnumerable<string> ignored, DateTimeOffset now)
    {
        _ignored = [.. ignored.Select(d => d.TrimEnd('/') + "/")];
        _settledBefore = (now - FileStamp.SettleTime).ToUnixTimeSeconds() - 1;
    }

    /// <summary>The recorder of this flow of the build, or null when nothing is recorded.</summary>
    public static InputRecorder? Current
    {
        get => CurrentRecorder.Value;
        set => CurrentRecorder.Value = value;
    }

    /// <summary>
    /// Whether the record is complete and can be trusted: no path changed just before it was seen (a second change in
    /// the same clock tick would not show), no more than <see cref="MaxPaths"/>, none that a record cannot hold.
    /// </summary>
    public bool IsUsable { get; private set; } = true;

    /// <summary>
    /// Records <paramref name="hostPath"/> as the build sees it now, all of it: call it before reading a file or listing
    /// a directory.
    /// </summary>
    /// <returns><paramref name="hostPath"/>, to list or open.</returns>
    public static string Observe(string hostPath, bool followLinks = false)
    {
        if (Current is not { } recorder) return hostPath;
        try
        {
            recorder.Saw(hostPath, followLinks, HostFileStatus.IdentityOf(hostPath, followLinks), whole: true);
        }
        catch (TinyImageException)
        {
            // Recording never changes what a build does: the reader says what is wrong with the path, and this build
            // leaves no record.
            lock (recorder._seen) recorder.IsUsable = false;
        }
        return hostPath;
    }

    /// <summary>
    /// What <see cref="HostFileStatus"/> found at <paramref name="hostPath"/>. A directory a lookup only walks through
    /// counts as the same directory (<see cref="Walked"/>): its entries changing (in /tmp, in a home directory, all the
    /// time) changes nothing the build found, which the entries it looked up record themselves; one it lists
    /// (<paramref name="whole"/>, from <see cref="Observe"/>) counts with its times, which change with its entries.
    /// </summary>
    internal void Saw(string hostPath, bool followLinks, string identity, bool whole = false)
    {
        foreach (var ignored in _ignored)
            if (hostPath.StartsWith(ignored, StringComparison.Ordinal) || hostPath == ignored[..^1]) return;
        var seen = whole ? identity : Walked(identity);
        lock (_seen)
        {
            if (!IsUsable) return;
            if (!Path.IsPathRooted(hostPath) || hostPath.Contains('\n') || _seen.Count >= MaxPaths || !IsSettled(seen))
            {
                IsUsable = false;
                return;
            }
            // The first sight counts (a path seen again, changed meanwhile, is what the check finds changed), but for a
            // directory walked through first and listed after: the listing is what it was seen for.
            if (!_seen.TryGetValue((hostPath, followLinks), out var before) || (before.Length < seen.Length && whole))
                _seen[(hostPath, followLinks)] = seen;
        }
    }

    /// <summary>The paths seen, each with whether its links were followed and what it was.</summary>
    public IReadOnlyList<(string Path, bool FollowLinks, string Identity)> Seen()
    {
        lock (_seen) return [.. _seen.Select(s => (s.Key.Path, s.Key.FollowLinks, s.Value)).OrderBy(s => s.Path, StringComparer.Ordinal)];
    }

    /// <summary>Whether each path of <paramref name="seen"/> is still what it was; false at the first that is not (or cannot be examined).</summary>
    public static bool Unchanged(IEnumerable<(string Path, bool FollowLinks, string Identity)> seen)
    {
        try
        {
            foreach (var (path, followLinks, identity) in seen)
            {
                var now = HostFileStatus.IdentityOf(path, followLinks);
                if (now != identity && Walked(now) != identity) return false;
            }
            return true;
        }
        catch (TinyImageException)
        {
            return false;
        }
    }

    /// <summary>
    /// A directory's identity as a walk through it sees it: type and mode, owner, device and inode (not its size and
    /// times); any other identity as it is.
    /// </summary>
    private static string Walked(string identity)
    {
        if (!identity.StartsWith('4')) return identity; // S_IFDIR is 04xxxx: the only mode in hex that starts with 4 (a file's is 81a4...)
        var end = -1;
        for (var i = 0; i < 5; i++)
            if ((end = identity.IndexOf(':', end + 1)) < 0) return identity;
        return identity[..end];
    }

    /// <summary>Whether the modification and status-change times in <paramref name="identity"/> (when it has them) are before the settle time.</summary>
    private bool IsSettled(string identity)
    {
        if (identity == HostFileStatus.MissingIdentity) return true;
        var fields = identity.Split(':');
        return fields.Length == 5 ? identity.StartsWith('4') : fields.Length == 8 && Seconds(fields[6]) < _settledBefore && Seconds(fields[7]) < _settledBefore;
    }

    private static long Seconds(string time) =>
        long.TryParse(time.AsSpan(0, time.IndexOf('.') is var dot and >= 0 ? dot : time.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            ? seconds : long.MaxValue;
}
