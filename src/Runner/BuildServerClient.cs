using System.Buffers.Binary;
using System.Collections;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TinyImage.Core;
using TinyImage.Core.FileSystem;

namespace TinyImage.Runner;

/// <summary>
/// A build command's side of the build server (<see cref="BuildServer"/>): with <c>TINYRUN_SERVER=1</c>, a build is
/// handed to the server with this process's stdin, stdout and stderr, which it reads and writes, and its exit code
/// comes back; Ctrl-C (SIGINT) and SIGTERM are passed on, and a second one ends this process at once, as without the
/// server. When there is no server yet, one is started in the background and this build runs in this process; so
/// does a build that finds the server busy. Only builds go to the server (<c>tinyrun RECIPE</c>, <c>tinyrun build</c>;
/// see <see cref="GoesToServer"/>).
/// </summary>
internal static class BuildServerClient
{
    private const int MaxFrameBytes = 16 << 20;

    /// <summary>Commands that do not go to the server.</summary>
    private static readonly HashSet<string> OwnProcess = new(StringComparer.Ordinal) { "deps", "inspect", "test", "init", "verify", "lock", "cache" };

    /// <summary>The server being started by this process, which is awaited (briefly) before it exits.</summary>
    private static Task? _starting;

    /// <summary>Runs <paramref name="args"/> (for which <see cref="GoesToServer"/> holds) in the build server; null when this process is to run it.</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        string socketPath;
        try
        {
            socketPath = BuildServer.SocketPath();
        }
        catch (TinyImageException e)
        {
            Console.Error.WriteLine($"tinyrun: warning: {e.Message}; building without the build server");
            return null;
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException)
        {
            socket.Dispose();
            _starting = Task.Run(() => BuildServer.StartInBackground(socketPath));
            return null;
        }
        using var stream = new NetworkStream(socket, ownsSocket: true);
        if (BuildServer.PeerUid(socket) is var owner && owner != HostFileStatus.CurrentUserId)
        {
            Console.Error.WriteLine($"tinyrun: warning: the build server at {socketPath} runs as uid {owner}, not as you; building without it");
            return null;
        }
        var mask = BuildServer.umask(0x12);
        BuildServer.umask(mask);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            if (variable is { Key: string name, Value: string value }) environment[name] = value;
        var request = new BuildServer.Request(args, Environment.CurrentDirectory, environment, mask, Invocation.StderrIsTerminal);
        try
        {
            DescriptorPassing.Send(socket, [0, 1, 2]);
            Frames.Write(stream, Frames.Request, request.ToBytes());
        }
        catch (IOException)
        {
            return null; // the server was ending, or this process lacks one of the three (closed): it builds here
        }

        var signalled = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            var number = context.Signal == PosixSignal.SIGINT ? 2 : 15;
            if (Interlocked.CompareExchange(ref signalled, number, 0) == 0)
            {
                try
                {
                    Frames.Write(stream, Frames.Cancel, [(byte)number]);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                }
                return;
            }
            Console.Error.WriteLine($"tinyrun: {context.Signal} again: stopped at once; temporary files may be left behind");
            Environment.Exit(128 + number);
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        // The server did not take the build: it runs in this process, unless a signal came meanwhile.
        int? Declined()
        {
            if (Volatile.Read(ref signalled) is 0) return null;
            Console.Error.WriteLine($"tinyrun: cancelled ({(signalled == 2 ? "SIGINT" : "SIGTERM")}); every output is either complete or as it was before");
            return 128 + signalled;
        }

        var accepted = false;
        try
        {
            while (await Frames.ReadAsync(stream, MaxFrameBytes, CancellationToken.None).ConfigureAwait(false) is { } frame)
            {
                switch (frame.Kind)
                {
                    case Frames.Busy when !accepted:
                        return Declined();
                    case Frames.Accepted:
                        accepted = true;
                        break;
                    case Frames.Exit when accepted && frame.Payload.Length == 4:
                        return BinaryPrimitives.ReadInt32LittleEndian(frame.Payload);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
        }
        if (!accepted) return Declined(); // the server ended before it took the build: build here
        Console.Error.WriteLine($"tinyrun: the build server ended during the build (was it killed?); every output is either complete or as it was before; run again, or build without it ({BuildServer.Variable}=0)");
        return Program.ExitFailure;
    }

    /// <summary>Waits (at most 2 s) for the server this process is starting, so that the next build finds it.</summary>
    public static void AwaitStarting() => _starting?.Wait(TimeSpan.FromSeconds(2));

    /// <summary>With TINYRUN_SERVER=1, a build (not another command) that names a recipe and does not ask for help.</summary>
    public static bool GoesToServer(string[] args) =>
        BuildServer.Wanted && args.Length > 0 && !OwnProcess.Contains(args[0])
        && args.Any(a => a.EndsWith(".tiny.csx", StringComparison.Ordinal) || a.StartsWith('@'))
        && !args.Any(a => a is "-h" or "--help" or "-?" or "/?" or "/h");
}
