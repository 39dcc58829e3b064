using TinyImage.Core.FileSystem;

namespace TinyImage.Core;

/// <summary>
/// A directory whose entries TinyImage trusts, as its caches: compiled recipes it runs, layers it ships. Anyone who
/// can write the directory, or replace it by writing a directory above it, could plant entries there. So the
/// directory must belong to the current user and be writable by no one else, and every directory above it must
/// belong to that user or root and be writable by no one else, unless sticky (as <c>/tmp</c> is: others cannot
/// rename or remove what is not theirs). Both the path as given and its real path (links resolved) are checked.
/// A directory that fails is refused, never repaired: once others could write it, its entries are untrusted.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode WritableByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="path"/> (0700) when it is missing, checks that only the current user can change it,
    /// and takes read access from others (harmless, as no one else could have written to it). Returns its full path.
    /// Nothing is created inside a directory others could change: the directories above are checked first.
    /// </summary>
    /// <param name="description">What the directory is, starting the message: "the recipe cache".</param>
    /// <param name="otherwise">What else the user can do, ending the message: "set TINYRUN_CACHE to a directory of your own".</param>
    /// <exception cref="TinyImageException">The directory cannot be created, or others could change it.</exception>
    public static string Ensure(string path, string description, string otherwise)
    {
        var full = Path.GetFullPath(path);
        try
        {
            var me = HostFileStatus.CurrentUserId;
            foreach (var above in Ancestors(full).Where(a => HostFileStatus.Of(a, followLinks: true) is { Kind: not HostFileKind.Missing }))
                CheckAbove(above, full, me, description, otherwise);
            Directory.CreateDirectory(full, OwnerOnly);
            var real = HostFileStatus.RealPath(full);
            var self = HostFileStatus.Of(real, followLinks: true) is { Kind: not HostFileKind.Missing } found ? found : throw new IOException("it was removed while it was checked");
            if (!self.IsDirectory)
                throw new TinyImageException($"{description} {full} is not a directory; {otherwise}");
            if (self.Uid != me)
                throw new TinyImageException($"{description} {full} belongs to uid {self.Uid}, not to you (uid {me}), so anything in it could be theirs; remove it (or chown it if you trust what is in it), or {otherwise}");
            if ((self.Permissions & WritableByOthers) != 0)
                throw new TinyImageException($"{description} {full} can be written by others (mode {Octal(self.Permissions)}), so anything in it could be theirs; remove it (or chmod go-w it if you trust what is in it), or {otherwise}");
            foreach (var above in Ancestors(full).Concat(Ancestors(real)).Distinct(StringComparer.Ordinal))
                CheckAbove(above, full, me, description, otherwise);
            if ((self.Permissions & ReadableByOthers) != 0)
                File.SetUnixFileMode(real, self.Permissions & ~ReadableByOthers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot use {description} {full}: {e.Message}; fix its permissions, or {otherwise}", e);
        }
        return full;
    }

    private static void CheckAbove(string above, string full, uint me, string description, string otherwise)
    {
        var status = HostFileStatus.Of(above, followLinks: true) is { Kind: not HostFileKind.Missing } found ? found : throw new IOException($"'{above}' was removed while it was checked");
        if (status.Uid != me && status.Uid != 0)
            throw new TinyImageException($"{description} {full} is inside {above}, which belongs to uid {status.Uid} (not you, uid {me}, nor root), who could replace it; move the cache, or {otherwise}");
        if ((status.Permissions & WritableByOthers) != 0 && (status.Permissions & UnixFileMode.StickyBit) == 0)
            throw new TinyImageException($"{description} {full} is inside {above}, which others can write (mode {Octal(status.Permissions)}, no sticky bit), so they could replace it; chmod go-w {above}, or {otherwise}");
    }

    /// <summary>Every directory above an absolute path, nearest first.</summary>
    private static IEnumerable<string> Ancestors(string path)
    {
        for (var parent = Path.GetDirectoryName(path); parent is not null; parent = Path.GetDirectoryName(parent))
            yield return parent;
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
