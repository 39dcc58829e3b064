using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// The one way TinyImage opens a host file whose bytes may go into an image or be parsed: only a regular file, never
/// through a symlink at the last component (<c>O_NOFOLLOW</c>), and never blocking on a FIFO (<c>O_NONBLOCK</c>, then
/// <c>fstat</c> refuses anything that is not a regular file before a byte is read). Callers resolve symlinks
/// themselves, inside the root they belong to (<see cref="HostFiles.Resolve(string)"/>), and pass the real path.
/// </summary>
public static class RegularFile
{
    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int Eloop = 40, Enoent = 2, Enotdir = 20, Eacces = 13, Enxio = 6;

    // O_NOFOLLOW is 0400000 on x86, arm64 and riscv (asm-generic), 0100000 on 32-bit ARM and powerpc.
    private static int ONoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Ppc64le ? 0x8000 : 0x20000;

    /// <summary>Opens <paramref name="hostPath"/> for reading.</summary>
    /// <param name="followFinalLink">
    /// Follow a symlink at the last component: only for files that are parsed and never copied into an image (a host
    /// path given to <c>tinyrun deps</c>, say).
    /// </param>
    /// <exception cref="TinyImageException">It is missing, a symlink, a directory, a FIFO, socket or device, or unreadable.</exception>
    public static SafeFileHandle OpenHandle(string hostPath, bool followFinalLink = false)
    {
        InputRecorder.Observe(hostPath, followFinalLink);
        var fd = open(hostPath, ORdOnly | ONonBlock | OCloExec | (followFinalLink ? 0 : ONoFollow));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new TinyImageException(errno switch
            {
                Enoent or Enotdir => $"{hostPath}: no such file; check the path",
                Eloop => $"{hostPath}: is a symbolic link where a regular file was expected; links are copied as links, never followed out of their tree",
                Eacces => $"{hostPath}: permission denied; make it readable",
                Enxio => $"{hostPath}: is a FIFO, socket or device; only regular files, directories and symlinks go into an image",
                _ => $"{hostPath}: cannot open it: {Marshal.GetPInvokeErrorMessage(errno)}",
            });
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var status = HostFileStatus.Of(handle, hostPath);
            if (!status.IsFile)
                throw new TinyImageException(status.IsDirectory
                    ? $"{hostPath}: is a directory, not a file; use AddDirectory for directories"
                    : $"{hostPath}: is {status.Describe()}; only regular files, directories and symlinks go into an image, so remove it or add files one by one");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="hostPath"/> as a stream (see <see cref="OpenHandle"/>).</summary>
    /// <param name="bufferSize">0 for no buffer, when the reader already reads in large chunks.</param>
    public static FileStream OpenRead(string hostPath, int bufferSize = 4096) =>
        new(OpenHandle(hostPath), FileAccess.Read, bufferSize);

    /// <summary>Reads a whole small file (configuration, metadata), refusing one larger than <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAllBytes(string hostPath, int maxBytes)
    {
        using var handle = OpenHandle(hostPath);
        var length = RandomAccess.GetLength(handle);
        if (length > maxBytes)
            throw new TinyImageException($"{hostPath}: is {length} bytes, more than the {maxBytes} expected of such a file; check that it is the right file");
        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0) break;
            read += n;
        }
        return read == bytes.Length ? bytes : bytes[..read];
    }

    /// <summary><see cref="ReadAllBytes"/> as UTF-8 lines.</summary>
    public static string[] ReadAllLines(string hostPath, int maxBytes) =>
        System.Text.Encoding.UTF8.GetString(ReadAllBytes(hostPath, maxBytes)).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
