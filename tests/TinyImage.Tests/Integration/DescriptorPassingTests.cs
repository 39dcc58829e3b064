using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using TinyImage.Runner;

namespace TinyImage.Tests.Integration;

/// <summary>
/// Open files handed over a Unix socket (SCM_RIGHTS), as a build command hands the build server its stdin, stdout and
/// stderr: the files that arrive are the ones sent, close-on-exec; a message with other than the files asked for, or
/// none in time, is refused, and whatever came with it is closed.
/// </summary>
public sealed class DescriptorPassingTests
{
    /// <summary>A connected pair of Unix stream sockets.</summary>
    private sealed class Pair : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public Pair()
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(_dir.Combine("s")));
            listener.Listen(1);
            Client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            Client.Connect(new UnixDomainSocketEndPoint(_dir.Combine("s")));
            Server = listener.Accept();
        }

        public Socket Client { get; }
        public Socket Server { get; }

        public string Path(string name) => _dir.Combine(name);

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
            _dir.Dispose();
        }
    }

    [Fact]
    public void The_files_that_arrive_are_the_ones_sent_and_close_on_exec()
    {
        using var pair = new Pair();
        using var a = File.Open(pair.Path("a"), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var b = File.Open(pair.Path("b"), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var c = File.Open(pair.Path("c"), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);

        DescriptorPassing.Send(pair.Client, [(int)a.SafeFileHandle.DangerousGetHandle(), (int)b.SafeFileHandle.DangerousGetHandle(), (int)c.SafeFileHandle.DangerousGetHandle()]);
        var received = DescriptorPassing.Receive(pair.Server, 3, TimeSpan.FromSeconds(5));

        Assert.Equal(3, received.Length);
        foreach (var (handle, name) in received.Zip(["a", "b", "c"]))
        {
            Assert.NotEqual(a.SafeFileHandle.DangerousGetHandle(), handle.DangerousGetHandle()); // a new descriptor of the same file
            Assert.Equal(Path.GetFullPath(pair.Path(name)), new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget);
            Assert.Contains("flags:\t02", File.ReadAllText($"/proc/self/fdinfo/{handle.DangerousGetHandle()}")); // O_CLOEXEC
            using var write = new FileStream(handle, FileAccess.Write, bufferSize: 0);
            write.Write("via "u8);
            write.Write(System.Text.Encoding.ASCII.GetBytes(name));
        }
        Assert.Equal("via b", File.ReadAllText(pair.Path("b")));
        Assert.False(DescriptorPassing.IsTerminal(a.SafeFileHandle));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task A_message_with_other_than_the_files_asked_for_is_refused_and_what_came_is_closed(int sent)
    {
        // The write end of a pipe is sent: once the sender closes its own, the reader sees the end only if every copy
        // that came was closed (not a count of this process's descriptors, which tests running beside this one change).
        using var pair = new Pair();
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
        if (sent == 0) pair.Client.Send("f"u8);
        else DescriptorPassing.Send(pair.Client, Enumerable.Repeat((int)pipe.ClientSafePipeHandle.DangerousGetHandle(), sent).ToArray());
        pipe.DisposeLocalCopyOfClientHandle();

        Assert.Throws<InvalidDataException>(() => DescriptorPassing.Receive(pair.Server, 3, TimeSpan.FromSeconds(5)));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a descriptor that came still open: no end
        Assert.Equal(0, await pipe.ReadAsync(new byte[1], wait.Token));
    }

    [Fact]
    public void Nothing_in_time_is_a_timeout_and_a_closed_peer_is_refused()
    {
        using var pair = new Pair();
        Assert.Throws<TimeoutException>(() => DescriptorPassing.Receive(pair.Server, 3, TimeSpan.FromMilliseconds(200)));
        pair.Client.Shutdown(SocketShutdown.Send);
        Assert.Throws<InvalidDataException>(() => DescriptorPassing.Receive(pair.Server, 3, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_signal_while_it_waits_does_not_make_it_wait_past_its_time()
    {
        // poll(2) is never restarted after a signal's handler (EINTR), whatever SA_RESTART says; a read then, on a
        // blocking socket with nothing to read, would wait for the peer however long it takes.
        using var pair = new Pair();
        using var handled = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGWINCH, context => context.Cancel = true);
        var thread = 0;
        var receiving = Task.Factory.StartNew(() =>
        {
            Volatile.Write(ref thread, gettid());
            return Record.Exception(() => DescriptorPassing.Receive(pair.Server, 3, TimeSpan.FromSeconds(1)));
        }, TaskCreationOptions.LongRunning);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!receiving.IsCompleted && !wait.IsCancellationRequested)
        {
            if (Volatile.Read(ref thread) is var id and not 0) _ = tgkill(Environment.ProcessId, id, 28); // SIGWINCH, to that thread
            await Task.Delay(20);
        }
        Assert.True(receiving.IsCompleted, "still waiting after 30 s for a receive of at most 1 s");
        Assert.IsType<TimeoutException>(await receiving);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int gettid();

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int tgkill(int process, int thread, int signal);

    [Fact]
    public void Sending_a_closed_descriptor_fails_and_sends_nothing()
    {
        using var pair = new Pair();
        const int NotOpen = 1 << 20; // above any descriptor this process has
        Assert.Throws<IOException>(() => DescriptorPassing.Send(pair.Client, [0, NotOpen, 2]));
        Assert.Throws<TimeoutException>(() => DescriptorPassing.Receive(pair.Server, 3, TimeSpan.FromMilliseconds(200)));
    }
}
