using System.Globalization;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// What identifies a regular file's content without reading it, as git's index does: device, inode, size, and the
/// modification and status-change times in nanoseconds. Writing to a file, replacing it or changing its metadata
/// changes the status-change time, which no program can set back, so an equal stamp means the same content; except
/// for a file written again within the file system's timestamp granularity, which <see cref="IsSettled"/> rules out.
/// </summary>
/// <param name="Device">The device (major in the high 32 bits, minor in the low).</param>
/// <param name="Inode">The inode number.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="ModifiedNanoseconds">Modification time, nanoseconds since 1970.</param>
/// <param name="ChangedNanoseconds">Status-change time (ctime), nanoseconds since 1970.</param>
public readonly record struct FileStamp(ulong Device, ulong Inode, long Size, long ModifiedNanoseconds, long ChangedNanoseconds)
{
    /// <summary>
    /// How long after its last change a file's stamp is trusted: longer than any file system's timestamp granularity
    /// (a jiffy on Linux's local file systems, a second or two on some network ones), so that a second write in the
    /// same tick, which would leave the times unchanged, cannot go unnoticed.
    /// </summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    /// <summary>Whether the file had not changed for <see cref="SettleTime"/> when this stamp was taken at <paramref name="takenAt"/>.</summary>
    public bool IsSettled(DateTimeOffset takenAt)
    {
        var settled = (takenAt - SettleTime - DateTimeOffset.UnixEpoch).Ticks * 100;
        return ModifiedNanoseconds < settled && ChangedNanoseconds < settled;
    }

    /// <summary>The stamp as one word: <c>DEVICE:INODE:SIZE:MTIME:CTIME</c> (decimal).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Device}:{Inode}:{Size}:{ModifiedNanoseconds}:{ChangedNanoseconds}");

    /// <summary>Reads what <see cref="ToString"/> wrote; false for anything else.</summary>
    public static bool TryParse(string text, out FileStamp stamp)
    {
        stamp = default;
        var parts = text.Split(':');
        if (parts.Length != 5
            || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var device)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var modified)
            || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var changed))
            return false;
        stamp = new FileStamp(device, inode, size, modified, changed);
        return true;
    }
}
