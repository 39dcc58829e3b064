using System.Runtime.InteropServices;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// What <c>statx(2)</c> says about a host path: its type, owner and permission bits, which .NET does not expose
/// (<see cref="File.GetUnixFileMode(string)"/> has no type and no owner). The one place TinyImage calls libc.
/// </summary>
/// <param name="Mode">The raw <c>st_mode</c>: the type bits (<c>S_IFMT</c>) and the permission bits (07777).</param>
/// <param name="OwnerId">The owner's uid.</param>
public readonly record struct UnixFileStatus(int Mode, uint OwnerId)
{
    private const int TypeMask = 0xF000; // S_IFMT
    private const int DirectoryType = 0x4000; // S_IFDIR
    private const int RegularFileType = 0x8000; // S_IFREG
    private const int SymbolicLinkType = 0xA000; // S_IFLNK

    public bool IsDirectory => (Mode & TypeMask) == DirectoryType;

    public bool IsRegularFile => (Mode & TypeMask) == RegularFileType;

    public bool IsSymbolicLink => (Mode & TypeMask) == SymbolicLinkType;

    /// <summary>The permission bits, with setuid, setgid and sticky.</summary>
    public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

    /// <summary>The effective uid of this process: whose files TinyImage trusts.</summary>
    public static uint CurrentUserId => geteuid();

    /// <summary>The status of <paramref name="path"/> (of the link itself when <paramref name="followLinks"/> is false); null when it does not exist.</summary>
    /// <exception cref="IOException">The path cannot be examined (e.g. a directory on the way is not searchable).</exception>
    public static UnixFileStatus? Of(string path, bool followLinks = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // struct statx has the same layout on every architecture: stx_uid at byte 20, stx_mode (16 bits) at byte 28, in the machine's byte order.
        var buffer = new byte[StatxSize];
        if (statx(CurrentDirectory, path, followLinks ? 0 : SymlinkNoFollow, StatxType | StatxMode | StatxUid, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is NoSuchEntry or NotADirectory) return null;
            throw new IOException($"cannot examine '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return new UnixFileStatus(MemoryMarshal.Read<ushort>(buffer.AsSpan(28)), MemoryMarshal.Read<uint>(buffer.AsSpan(20)));
    }

    /// <summary><paramref name="path"/> with every symbolic link resolved (<c>realpath(3)</c>).</summary>
    /// <exception cref="IOException">The path does not exist or cannot be resolved.</exception>
    public static string RealPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            throw new IOException($"cannot resolve '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try { return Marshal.PtrToStringUTF8(resolved)!; }
        finally { free(resolved); }
    }

    private const int StatxSize = 256;
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int SymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8;
    private const int NoSuchEntry = 2, NotADirectory = 20; // ENOENT, ENOTDIR

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    [DllImport("libc")]
    private static extern uint geteuid();
}
