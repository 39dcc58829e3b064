using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TinyImage.Runner;

/// <summary>
/// Open files handed from one process to another over a Unix socket (<c>SCM_RIGHTS</c>, unix(7)): a build command
/// hands the build server its stdin, stdout and stderr, so a build there reads and writes the command's own (a
/// terminal, a pipe, a file), as it would in the command's process. One byte carries them. Linux, 64-bit.
/// </summary>
internal static class DescriptorPassing
{
    private const int SolSocket = 1, ScmRights = 1;
    private const int MsgNoSignal = 0x4000, MsgControlTruncated = 0x8, MsgCloseOnExec = 0x40000000, MsgDontWait = 0x40;
    private const int Eintr = 4, Eagain = 11;
    private const short PollIn = 0x1;

    /// <summary>The size of a <c>cmsghdr</c>: <c>cmsg_len</c> (size_t), <c>cmsg_level</c>, <c>cmsg_type</c>.</summary>
    private const int ControlHeader = 16;

    /// <summary>Where, in a message's native block, the byte and the control data are (after the <c>iovec</c>).</summary>
    private const int DataOffset = 16, ControlOffset = 24;

    /// <summary>Sends <paramref name="descriptors"/> (which stay open here) with one byte.</summary>
    /// <exception cref="IOException">The socket refused them (the other end is gone).</exception>
    public static void Send(Socket socket, ReadOnlySpan<int> descriptors)
    {
        var controlLength = ControlSpace(descriptors.Length);
        var block = NativeBlock(controlLength, out var message);
        try
        {
            Marshal.WriteByte(block + DataOffset, (byte)'f');
            var control = block + ControlOffset;
            Marshal.WriteInt64(control, ControlHeader + 4 * descriptors.Length);
            Marshal.WriteInt32(control, 8, SolSocket);
            Marshal.WriteInt32(control, 12, ScmRights);
            for (var i = 0; i < descriptors.Length; i++) Marshal.WriteInt32(control, ControlHeader + 4 * i, descriptors[i]);
            nint sent;
            do
            {
                sent = sendmsg((int)socket.Handle, ref message, MsgNoSignal);
            }
            while (sent < 0 && Marshal.GetLastPInvokeError() == Eintr);
            if (sent != 1) throw new IOException($"sendmsg: error {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>Receives exactly <paramref name="count"/> descriptors (close-on-exec, owned by the caller), waiting at most <paramref name="timeout"/>.</summary>
    /// <exception cref="InvalidDataException">No byte with exactly that many descriptors came; any that came are closed.</exception>
    /// <exception cref="TimeoutException">Nothing came in time.</exception>
    public static SafeFileHandle[] Receive(Socket socket, int count, TimeSpan timeout)
    {
        // Room for one more than asked: a sender that sends more is told apart from one that sends exactly as many.
        var controlLength = ControlSpace(count + 1);
        var block = NativeBlock(controlLength, out var message);
        var received = new List<SafeFileHandle>();
        try
        {
            var control = block + ControlOffset;
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            nint read;
            while (true)
            {
                var poll = new PollDescriptor { Descriptor = (int)socket.Handle, Events = PollIn };
                var left = deadline - Environment.TickCount64;
                var ready = left <= 0 ? 0 : Poll(ref poll, 1, (int)left);
                if (ready == 0) throw new TimeoutException("no descriptors came");
                // A signal ends poll (EINTR) with nothing to read: it waits again. Never a read that waits (the socket may block).
                if (ready < 0 && Marshal.GetLastPInvokeError() == Eintr) continue;
                read = recvmsg((int)socket.Handle, ref message, MsgCloseOnExec | MsgDontWait);
                if (read >= 0 || Marshal.GetLastPInvokeError() is not (Eintr or Eagain)) break;
            }
            // Every descriptor that came is closed unless all is as asked.
            for (var offset = 0; offset + ControlHeader <= (int)message.ControlLength;)
            {
                var length = (int)Marshal.ReadInt64(control, offset);
                if (length < ControlHeader || offset + length > (int)message.ControlLength) break;
                if (Marshal.ReadInt32(control, offset + 8) == SolSocket && Marshal.ReadInt32(control, offset + 12) == ScmRights)
                    for (var i = 0; i < (length - ControlHeader) / 4; i++)
                        received.Add(new SafeFileHandle(Marshal.ReadInt32(control, offset + ControlHeader + 4 * i), ownsHandle: true));
                offset += Align(length);
            }
            if (read != 1 || (message.Flags & MsgControlTruncated) != 0 || received.Count != count)
                throw new InvalidDataException($"expected one byte and {count} descriptors, got {read} bytes and {received.Count}");
            var handles = received.ToArray();
            received.Clear();
            return handles;
        }
        finally
        {
            foreach (var handle in received) handle.Dispose();
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>Whether <paramref name="handle"/> is a terminal.</summary>
    public static bool IsTerminal(SafeFileHandle handle) => isatty((int)handle.DangerousGetHandle()) == 1;

    private static int Align(int length) => (length + 7) & ~7;

    private static int ControlSpace(int descriptors) => ControlHeader + Align(4 * descriptors);

    /// <summary>
    /// Zeroed native memory for one message: its <c>iovec</c>, the byte it points to, and <paramref name="controlLength"/>
    /// bytes of control data; <paramref name="message"/> points at them. Freed with <see cref="Marshal.FreeHGlobal"/>.
    /// </summary>
    private static nint NativeBlock(int controlLength, out MessageHeader message)
    {
        var block = Marshal.AllocHGlobal(ControlOffset + controlLength);
        for (var i = 0; i < ControlOffset + controlLength; i++) Marshal.WriteByte(block, i, 0);
        Marshal.WriteIntPtr(block, block + DataOffset); // iov_base
        Marshal.WriteInt64(block, 8, 1);                 // iov_len
        message = new MessageHeader { Vectors = block, VectorCount = 1, Control = block + ControlOffset, ControlLength = (nuint)controlLength };
        return block;
    }

    /// <summary><c>struct msghdr</c> (LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public nint Name;
        public uint NameLength;
        public nint Vectors;
        public nuint VectorCount;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short Returned;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint sendmsg(int socket, ref MessageHeader message, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recvmsg(int socket, ref MessageHeader message, int flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollDescriptor descriptors, nuint count, int timeout);

    [DllImport("libc")]
    private static extern int isatty(int descriptor);
}
