using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// The status of a host file without following a final symlink (<c>lstat</c>), or of an open handle (<c>fstat</c>),
/// read with the <c>statx</c> system call: its buffer has the same layout on every Linux architecture, unlike
/// <c>struct stat</c>, and .NET does not tell a FIFO or a device from a regular file.
/// </summary>
/// <param name="Kind">What the path is.</param>
/// <param name="Mode">Permission bits including setuid, setgid and sticky (07777).</param>
/// <param name="Uid">Owner.</param>
/// <param name="Size">Length in bytes of a regular file (a symlink: of its target text).</param>
public readonly record struct HostFileStatus(HostFileKind Kind, int Mode, uint Uid, long Size)
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int SIfMt = 0xF000, SIfReg = 0x8000, SIfDir = 0x4000, SIfLnk = 0xA000;
    private const int Enoent = 2, Enotdir = 20;

    private static readonly HostFileStatus MissingStatus = new(HostFileKind.Missing, 0, 0, 0);

    /// <summary>The status of <paramref name="hostPath"/> itself (a symlink is reported as one); Missing when it does not exist.</summary>
    /// <exception cref="TinyImageException">The path cannot be examined (permission denied, I/O error).</exception>
    public static HostFileStatus Of(string hostPath) => Of(hostPath, followLinks: false);

    /// <summary>The status of <paramref name="hostPath"/>, or with <paramref name="followLinks"/> of what its links lead to; Missing when it does not exist.</summary>
    /// <exception cref="TinyImageException">The path cannot be examined (permission denied, I/O error).</exception>
    public static HostFileStatus Of(string hostPath, bool followLinks)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, hostPath, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir)
            {
                InputRecorder.Current?.Saw(hostPath, followLinks, MissingIdentity);
                return MissingStatus;
            }
            throw new TinyImageException($"{hostPath}: cannot examine it: {Marshal.GetPInvokeErrorMessage(errno)}; check its permissions");
        }
        if (InputRecorder.Current is { } recorder) recorder.Saw(hostPath, followLinks, IdentityOf(buffer));
        return FromBuffer(buffer);
    }

    /// <summary>What <see cref="IdentityOf(string, bool)"/> gives for a path that does not exist.</summary>
    internal const string MissingIdentity = "-";

    /// <summary>
    /// Everything statx says about <paramref name="hostPath"/> (or with <paramref name="followLinks"/>, what its links
    /// lead to) that changes when it does, as one word: type and mode, owner, device, inode, size, modification and
    /// status-change times; <see cref="MissingIdentity"/> when it does not exist. A directory's changes when an entry is
    /// added, removed or renamed in it; a file's when its content or metadata changes (see <see cref="FileStamp"/>).
    /// </summary>
    /// <exception cref="TinyImageException">The path cannot be examined (permission denied, I/O error).</exception>
    internal static string IdentityOf(string hostPath, bool followLinks)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, hostPath, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) == 0) return IdentityOf(buffer);
        var errno = Marshal.GetLastPInvokeError();
        return errno is Enoent or Enotdir ? MissingIdentity
            : throw new TinyImageException($"{hostPath}: cannot examine it: {Marshal.GetPInvokeErrorMessage(errno)}; check its permissions");
    }

    // stx_gid at 24, stx_ino at 32, stx_ctime at 96 and stx_mtime at 112 (s64 seconds, u32 nanoseconds), stx_dev_major/minor at 136/140.
    private static string IdentityOf(ReadOnlySpan<byte> buffer) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{MemoryMarshal.Read<ushort>(buffer[28..]):x}:{MemoryMarshal.Read<uint>(buffer[20..])}:{MemoryMarshal.Read<uint>(buffer[24..])}:" +
        $"{MemoryMarshal.Read<uint>(buffer[136..])}.{MemoryMarshal.Read<uint>(buffer[140..])}:{MemoryMarshal.Read<ulong>(buffer[32..])}:" +
        $"{MemoryMarshal.Read<ulong>(buffer[40..])}:{MemoryMarshal.Read<long>(buffer[112..])}.{MemoryMarshal.Read<uint>(buffer[120..]):D9}:" +
        $"{MemoryMarshal.Read<long>(buffer[96..])}.{MemoryMarshal.Read<uint>(buffer[104..]):D9}");

    /// <summary>The status of an open file.</summary>
    internal static HostFileStatus Of(SafeFileHandle handle, string hostPath)
    {
        Span<byte> buffer = stackalloc byte[256];
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
                throw new TinyImageException($"{hostPath}: cannot examine it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
        return FromBuffer(buffer);
    }

    /// <summary>
    /// The identity and change times of <paramref name="hostPath"/> itself (never through a final symlink), when it is a
    /// regular file; null when it is anything else or missing.
    /// </summary>
    /// <exception cref="TinyImageException">The path cannot be examined (permission denied, I/O error).</exception>
    public static FileStamp? StampOf(string hostPath) => StampOf(hostPath, SIfReg);

    /// <summary>
    /// The identity and change times of the directory <paramref name="hostPath"/> (never through a final symlink): its
    /// times change whenever an entry is added, removed or renamed in it; null when it is anything else or missing.
    /// </summary>
    /// <exception cref="TinyImageException">The path cannot be examined (permission denied, I/O error).</exception>
    public static FileStamp? DirectoryStampOf(string hostPath) => StampOf(hostPath, SIfDir);

    private static FileStamp? StampOf(string hostPath, int kind)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, hostPath, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir)
            {
                InputRecorder.Current?.Saw(hostPath, followLinks: false, MissingIdentity);
                return null;
            }
            throw new TinyImageException($"{hostPath}: cannot examine it: {Marshal.GetPInvokeErrorMessage(errno)}; check its permissions");
        }
        // A directory's stamp is asked for its times (what a memo of its listing is kept under): recorded whole.
        InputRecorder.Current?.Saw(hostPath, followLinks: false, IdentityOf(buffer), whole: kind == SIfDir);
        if ((MemoryMarshal.Read<ushort>(buffer[28..]) & SIfMt) != kind) return null;
        // stx_ino at 32, stx_ctime at 96 and stx_mtime at 112 (each s64 seconds, u32 nanoseconds), stx_dev_major/minor at 136/140.
        static long Nanoseconds(ReadOnlySpan<byte> timestamp) =>
            MemoryMarshal.Read<long>(timestamp) * 1_000_000_000L + MemoryMarshal.Read<uint>(timestamp[8..]);
        return new FileStamp(
            ((ulong)MemoryMarshal.Read<uint>(buffer[136..]) << 32) | MemoryMarshal.Read<uint>(buffer[140..]),
            MemoryMarshal.Read<ulong>(buffer[32..]),
            (long)MemoryMarshal.Read<ulong>(buffer[40..]),
            Nanoseconds(buffer[112..]),
            Nanoseconds(buffer[96..]));
    }

    // struct statx (native byte order): stx_uid at 20, stx_mode (u16) at 28, stx_size (u64) at 40.
    private static HostFileStatus FromBuffer(ReadOnlySpan<byte> buffer)
    {
        var mode = (int)MemoryMarshal.Read<ushort>(buffer[28..]);
        var uid = MemoryMarshal.Read<uint>(buffer[20..]);
        var size = (long)MemoryMarshal.Read<ulong>(buffer[40..]);
        var kind = (mode & SIfMt) switch
        {
            SIfReg => HostFileKind.File,
            SIfDir => HostFileKind.Directory,
            SIfLnk => HostFileKind.Symlink,
            _ => HostFileKind.Special,
        };
        return new HostFileStatus(kind, mode & 0xFFF, uid, size);
    }

    /// <summary>The effective uid of this process: whose files TinyImage trusts.</summary>
    public static uint CurrentUserId => geteuid();

    /// <summary><paramref name="path"/> with every symbolic link resolved (<c>realpath(3)</c>).</summary>
    /// <exception cref="IOException">The path does not exist or cannot be resolved.</exception>
    public static string RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            throw new IOException($"cannot resolve '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try { return Marshal.PtrToStringUTF8(resolved)!; }
        finally { free(resolved); }
    }

    /// <summary><see cref="Mode"/> as .NET's type.</summary>
    public UnixFileMode Permissions => (UnixFileMode)Mode;

    public bool IsFile => Kind == HostFileKind.File;

    public bool IsDirectory => Kind == HostFileKind.Directory;

    /// <summary>A word for error messages: "a FIFO, socket or device".</summary>
    public string Describe() => Kind switch
    {
        HostFileKind.File => "a regular file",
        HostFileKind.Directory => "a directory",
        HostFileKind.Symlink => "a symbolic link",
        HostFileKind.Special => "a FIFO, socket or device",
        _ => "missing",
    };

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
