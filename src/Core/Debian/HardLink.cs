using System.Runtime.InteropServices;

namespace TinyImage.Core.Debian;

/// <summary>
/// Creates hard links, which .NET has no API for: link(2) from libc. Used for hard-linked tar members and to build a
/// root from unpacked packages without copying their bytes.
/// </summary>
internal static class HardLink
{
    private const int CrossDevice = 18; // EXDEV
    private const int NotPermitted = 1; // EPERM: a file system without hard links

    /// <summary>Create makes <paramref name="link"/> a new name of the file <paramref name="existing"/>.</summary>
    /// <exception cref="IOException">link(2) failed.</exception>
    public static void Create(string existing, string link)
    {
        if (link_(existing, link) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot link {link} to {existing}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary>CreateOrCopy makes a hard link, or copies the file where the file system cannot link (another device, no links).</summary>
    public static void CreateOrCopy(string existing, string link)
    {
        if (link_(existing, link) == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (CrossDevice or NotPermitted))
            throw new IOException($"cannot link {link} to {existing}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        File.Copy(existing, link);
        File.SetUnixFileMode(link, File.GetUnixFileMode(existing));
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int link_([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string link);
}
