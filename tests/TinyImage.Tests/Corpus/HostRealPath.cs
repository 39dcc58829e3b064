using System.Runtime.InteropServices;

namespace TinyImage.Tests.Corpus;

/// <summary>realpath(3) from libc: an oracle for symlink resolution that shares no code with ours.</summary>
public static class HostRealPath
{
    /// <summary>The canonical host path of <paramref name="path"/>, or null when it does not exist.</summary>
    public static string? Of(string path)
    {
        var resolved = RealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [DllImport("libc", EntryPoint = "realpath")]
    private static extern IntPtr RealPath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);
}
