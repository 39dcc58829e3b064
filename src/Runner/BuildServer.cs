using Microsoft.Win32.SafeHandles;
using System.Buffers.Binary;
using System.Collections;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using TinyImage.Core;
using TinyImage.Core.FileSystem;

namespace TinyImage.Runner;

/// <summary>
/// The build server, with <c>TINYRUN_SERVER=1</c>: a tinyrun process that stays up between builds, so that a build
/// skips .NET's start and the compilation (JIT) of the code it runs, most of a warm build's time. A build command
/// (<see cref="BuildServerClient"/>) hands the server its stdin, stdout and stderr (<see cref="DescriptorPassing"/>),
/// arguments, working directory, environment and umask over a Unix socket, and gets back the exit code: the build
/// reads and writes the command's own files, as if the command had built itself. The server runs one build at
/// a time (a build that finds it busy runs in its own process), in its own session (no terminal's signals reach it),
/// and ends after <see cref="DefaultIdle"/> without a build, after <see cref="MaxBuilds"/> builds, and after a build
/// that was cancelled or ended abnormally (recipe code a cancellation abandoned may still be running).
/// The socket is in a private directory (0700, not a link, see <see cref="PrivateDirectory"/>) named by the user, and
/// each end checks that the other runs as that user; its name is a hash of this tinyrun's assemblies, the runtime, the
/// namespaces (mount, network, user, ...), and the variables a process reads only as it starts (<c>DOTNET_*</c>, <c>OPENSSL_*</c>,
/// <c>SSL_CERT_*</c>, <c>LD_*</c>, the proxies), so a rebuilt tinyrun, or one started with other such variables, gets a
/// server of its own.
/// </summary>
internal static class BuildServer
{
    /// <summary>Set to 1 to build through the build server.</summary>
    public const string Variable = "TINYRUN_SERVER";

    /// <summary>How a client starts a server: <c>tinyrun --serve-builds SOCKET</c> (not shown in the help).</summary>
    public const string ServeArgument = "--serve-builds";

    /// <summary>Seconds the server waits for a build before it ends (default 600).</summary>
    public const string IdleVariable = "TINYRUN_SERVER_IDLE";

    /// <summary>Builds a server runs before it ends: each loads its recipe's assembly, which stays loaded.</summary>
    private const int MaxBuilds = 100;

    private const int MaxRequestBytes = 4 << 20;

    private const int MaxSocketPathBytes = 107;

    private static readonly TimeSpan DefaultIdle = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The namespaces of /proc/self/ns that a build sees through: a server serves clients of the same ones.</summary>
    private static readonly string[] Namespaces = ["mnt", "net", "user", "pid", "uts", "ipc", "cgroup"];

    private static readonly string[] StartupVariablePrefixes = ["DOTNET_", "COMPlus_", "CORECLR_", "OPENSSL_", "SSL_CERT_", "LD_"];

    /// <summary>The proxy variables, which .NET's HTTP client reads once per process.</summary>
    private static readonly HashSet<string> ProxyVariables = new(StringComparer.OrdinalIgnoreCase) { "http_proxy", "https_proxy", "all_proxy", "no_proxy" };

    /// <summary>The connection of the build running now; null between builds.</summary>
    private static volatile ServerChannel? _active;

    /// <summary>The lifetime of the build running now (a SIGTERM to the server cancels it); null between builds.</summary>
    private static volatile RequestLifetime? _activeLifetime;

    /// <summary>Whether this command asked for the build server.</summary>
    public static bool Wanted => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>The socket of the server of this tinyrun, user and start-up environment; creates its private directory.</summary>
    /// <exception cref="TinyImageException">The directory cannot be made private (see <see cref="PrivateDirectory.Ensure"/>).</exception>
    public static string SocketPath()
    {
        var directory = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Path.IsPathRooted(runtime)
            ? Path.Combine(runtime, "tinyrun")
            : Path.Combine(Path.GetTempPath(), $"tinyrun-{HostFileStatus.CurrentUserId}");
        directory = PrivateDirectory.Ensure(directory, "the build server's directory", $"unset {Variable}");
        // Not a link, even to a private directory of ours: whoever made the link (in /tmp, anyone) could point it elsewhere.
        if (HostFileStatus.Of(directory, followLinks: false).Kind == HostFileKind.Symlink)
            throw new TinyImageException($"the build server's directory {directory} is a symbolic link, which whoever made it could point elsewhere; remove it, or unset {Variable}");
        var socket = Path.Combine(directory, Identity() + ".sock");
        // The kernel takes at most 107 bytes for a socket's path.
        return Encoding.UTF8.GetByteCount(socket) <= MaxSocketPathBytes ? socket
            : throw new TinyImageException($"the build server's socket {socket} would be longer than {MaxSocketPathBytes} bytes; set XDG_RUNTIME_DIR to a shorter directory, or unset {Variable}");
    }

    /// <summary>Starts a server for <paramref name="socketPath"/> in the background; it serves the next build. Never fails the build that starts it.</summary>
    public static void StartInBackground(string socketPath)
    {
        var program = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/",
        };
        if (Path.GetFileName(program) == "dotnet") start.ArgumentList.Add(typeof(BuildServer).Assembly.Location);
        start.ArgumentList.Add(ServeArgument);
        start.ArgumentList.Add(socketPath);
        try
        {
            using var process = Process.Start(start);
            if (process is null) return;
            // Its standard streams are pipes of its own, closed here: it holds none of this command's open.
            process.StandardInput.Close();
            process.StandardOutput.Close();
            process.StandardError.Close();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            // No server this time (out of processes?): the build ran here all the same, and the next one tries again.
        }
    }

    /// <summary>
    /// Serves builds on <paramref name="socketPath"/> until it is idle too long, or SIGTERM; returns 0. A second server
    /// of the same socket ends at once.
    /// </summary>
    public static async Task<int> ServeAsync(string socketPath)
    {
        _ = setsid();
        // Every build reads and writes its own client's files, from any thread its recipe started too (see ConsoleRoute).
        Console.SetOut(new ConsoleRoute.Writer(error: false));
        Console.SetError(new ConsoleRoute.Writer(error: true));
        Console.SetIn(new ConsoleRoute.Reader());
        Directory.SetCurrentDirectory("/");
        ClientStdio.Detach(); // its own standard files, pipes whose other ends are closed, become /dev/null
        FileStream held;
        try
        {
            // Held while it serves, until after the exit handler is removed (flock: released however the process ends).
            held = new FileStream(socketPath + ".lock", new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException)
        {
            return 0; // another server serves this socket
        }
        using var serving = held;
        // Which process serves (to stop it: kill); written whole, then renamed.
        var pid = socketPath + ".pid";
        File.WriteAllText(pid + ".tmp", $"{Environment.ProcessId}\n");
        File.Move(pid + ".tmp", pid, overwrite: true);
        File.Delete(socketPath); // a server that was killed left it
        using var stopping = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
            _activeLifetime?.Cancel(RequestLifetime.SignalTerminate);
        });
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        void Remove()
        {
            // Closed first: a client then finds no server (and builds in its own process), never one that does not answer.
            listener.Dispose();
            File.Delete(socketPath);
            File.Delete(pid);
        }
        // A recipe that calls Environment.Exit ends the server (no finally block runs): its client is told, as a build in
        // its own process says it, and the socket goes. The lock is held until the process is gone, so no new server
        // has taken the socket's name yet.
        void OnExit(object? sender, EventArgs e)
        {
            // Finished first: the client, told, ends and closes its connection, which would cancel the build, and the
            // build (its other threads run on while the process exits) would say "cancelled" on the client's stderr.
            _activeLifetime?.Finish();
            _active?.EndedByRecipe(Environment.ExitCode);
            Remove();
        }
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(16);
            var idle = IdleTimeout();
            for (var builds = 0; builds < MaxBuilds && !stopping.IsCancellationRequested; builds++)
            {
                Socket connection;
                using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
                {
                    waiting.CancelAfter(idle);
                    try
                    {
                        connection = await listener.AcceptAsync(waiting.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                if (!await ServeAsync(connection, listener).ConfigureAwait(false)) break;
            }
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= OnExit;
            Remove();
        }
        return 0;
    }

    /// <summary>Runs the build <paramref name="connection"/> asks for; false when the server must end after it.</summary>
    private static async Task<bool> ServeAsync(Socket connection, Socket listener)
    {
        using var stream = new NetworkStream(connection, ownsSocket: true);
        var channel = new ServerChannel(stream);
        Request request;
        ClientStdio stdio;
        try
        {
            if (PeerUid(connection) != HostFileStatus.CurrentUserId) return true; // only the user's own builds
            // First its stdin, stdout and stderr, then the request.
            stdio = new ClientStdio(DescriptorPassing.Receive(connection, 3, RequestTimeout));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException or SocketException)
        {
            return true; // not a client of ours, or one that went away: nothing ran
        }
        using var client = stdio;
        try
        {
            using var timeout = new CancellationTokenSource(RequestTimeout);
            request = await Frames.ReadAsync(stream, MaxRequestBytes, timeout.Token).ConfigureAwait(false) is { Kind: Frames.Request } frame
                ? Request.Parse(frame.Payload)
                : throw new InvalidDataException("no request");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or SocketException)
        {
            return true;
        }

        // While this build runs, other clients hear that the server is busy, and build in their own processes.
        using var building = new CancellationTokenSource();
        var refusing = RefuseWhileBusyAsync(listener, building.Token);
        try
        {
            try
            {
                Apply(request, stdio);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Its working directory is not there for the server (another mount namespace?): it builds in its own process.
                channel.Send(Frames.Busy, []);
                return true;
            }
            return await RunAsync(request, channel, stdio).ConfigureAwait(false);
        }
        finally
        {
            await building.CancelAsync().ConfigureAwait(false);
            await refusing.ConfigureAwait(false);
        }
    }

    /// <summary>Runs the build of <paramref name="request"/> with its client's files; false when the server must end after it.</summary>
    private static async Task<bool> RunAsync(Request request, ServerChannel channel, ClientStdio stdio)
    {
        var lifetime = new RequestLifetime();
        channel.Send(Frames.Accepted, []);
        _ = ReadControlAsync(channel.Stream, lifetime);
        int exitCode;
        var healthy = true;
        // Set here, the route flows into everything this build starts, its recipe's threads and timers too; once the
        // build is over, what they write goes nowhere.
        var route = ConsoleRoute.To(stdio);
        try
        {
            _active = channel;
            channel.Stdio = stdio;
            stdio.Attach();
            _activeLifetime = lifetime;
            exitCode = await Program.RunAsync(request.Arguments, lifetime).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"tinyrun: the build server failed: {e.GetType().Name}: {e.Message}; build without it ({Variable}=0)");
            exitCode = Program.ExitFailure;
            healthy = false;
        }
        finally
        {
            _active = null;
            _activeLifetime = null;
            lifetime.Finish();
            route.Dispose();
            ClientStdio.Detach();
            stdio.Dispose(); // closed before the exit code goes back: a reader of the command's pipe sees its end
        }
        channel.Exit(exitCode);
        return healthy && lifetime.Signal is null;
    }

    /// <summary>Makes this process what the client's would have been: its environment, working directory, umask and stdout.</summary>
    private static void Apply(Request request, ClientStdio stdio)
    {
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().ToList())
            if (!request.Environment.ContainsKey(name)) Environment.SetEnvironmentVariable(name, null);
        foreach (var (name, value) in request.Environment) Environment.SetEnvironmentVariable(name, value);
        Directory.SetCurrentDirectory(request.WorkingDirectory);
        _ = umask(request.Umask);
        TimeZoneInfo.ClearCachedData(); // TZ may differ
        Invocation.Start(request.StderrIsTerminal, DateTime.UtcNow, clientOutput: stdio);
    }

    private static async Task RefuseWhileBusyAsync(Socket listener, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                using var other = await listener.AcceptAsync(stop).ConfigureAwait(false);
                try
                {
                    other.Send(Frames.Header(Frames.Busy, 0));
                }
                catch (SocketException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Cancels the build on the client's signal (a cancel frame), or when the client is gone.</summary>
    private static async Task ReadControlAsync(Stream stream, RequestLifetime lifetime)
    {
        try
        {
            while (await Frames.ReadAsync(stream, 16, CancellationToken.None).ConfigureAwait(false) is { } frame)
                if (frame is { Kind: Frames.Cancel, Payload: [var signal] }) lifetime.Cancel(signal);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
        }
        lifetime.Cancel(RequestLifetime.SignalTerminate); // the client is gone: nobody waits for this build
    }

    private static TimeSpan IdleTimeout() =>
        Environment.GetEnvironmentVariable(IdleVariable) is { Length: > 0 } text && int.TryParse(text, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds) : DefaultIdle;

    private static string Identity()
    {
        var text = new StringBuilder();
        foreach (var assembly in new[] { typeof(BuildServer).Assembly, typeof(TinyImageException).Assembly, typeof(Dsl.Recipe).Assembly })
            text.Append(assembly.ManifestModule.ModuleVersionId).Append('\n');
        text.Append(RuntimeInformation.FrameworkDescription).Append('\n');
        // The namespaces: a client in a container, or in another namespace that shares the directory, sees other files
        // (mnt), another 127.0.0.1 (net: a registry on loopback), other users (user), other processes (pid).
        foreach (var name in Namespaces) text.Append(new FileInfo("/proc/self/ns/" + name).LinkTarget).Append('\n');
        var startup = new List<string>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            if (variable.Key is string name && (StartupVariablePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) || ProxyVariables.Contains(name)))
                startup.Add($"{name}={variable.Value}");
        startup.Sort(StringComparer.Ordinal);
        foreach (var line in startup) text.Append(line).Append('\n');
        // FNV-1a (64 bits), not SHA-256: a name, not a proof (the directory is private), and no cryptography library
        // to start in a command that only hands its build over.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text.ToString())) hash = (hash ^ b) * 1099511628211UL;
        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The uid of the process at the other end of a Unix socket (SO_PEERCRED: pid, uid, gid).</summary>
    internal static uint PeerUid(Socket socket)
    {
        const int SolSocket = 1, SoPeerCred = 17;
        var credentials = new byte[12];
        return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == credentials.Length
            ? BinaryPrimitives.ReadUInt32LittleEndian(credentials.AsSpan(4)) : uint.MaxValue;
    }

    [DllImport("libc")]
    private static extern int setsid();

    [DllImport("libc", SetLastError = true)]
    private static extern int dup2(int descriptor, int target);

    [DllImport("libc")]
    internal static extern uint umask(uint mask);

    /// <summary>
    /// What a client asks for: a command line, run where and how it would have run. Sent as length-prefixed UTF-8
    /// strings (<see cref="BinaryWriter"/>'s), which the client writes without starting a JSON library.
    /// </summary>
    internal sealed record Request(string[] Arguments, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment, uint Umask, bool StderrIsTerminal)
    {
        private const int Version = 2; // 2: the client's files go first, by SCM_RIGHTS

        public byte[] ToBytes()
        {
            using var buffer = new MemoryStream();
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Version);
                writer.Write(Arguments.Length);
                foreach (var argument in Arguments) writer.Write(argument);
                writer.Write(WorkingDirectory);
                writer.Write(Environment.Count);
                foreach (var (name, value) in Environment)
                {
                    writer.Write(name);
                    writer.Write(value);
                }
                writer.Write(Umask);
                writer.Write(StderrIsTerminal);
            }
            return buffer.ToArray();
        }

        /// <exception cref="InvalidDataException">Not a request of this version, or a damaged one.</exception>
        public static Request Parse(byte[] bytes)
        {
            try
            {
                using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
                if (reader.ReadInt32() != Version) throw new InvalidDataException("a request of another version");
                var arguments = new string[Count(reader, bytes.Length)];
                for (var i = 0; i < arguments.Length; i++) arguments[i] = reader.ReadString();
                var directory = reader.ReadString();
                var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = Count(reader, bytes.Length); i > 0; i--) environment[reader.ReadString()] = reader.ReadString();
                var request = new Request(arguments, directory, environment, reader.ReadUInt32(), reader.ReadBoolean());
                return reader.BaseStream.Position == bytes.Length ? request : throw new InvalidDataException("bytes after the request");
            }
            catch (Exception e) when (e is IOException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"a damaged request: {e.Message}", e);
            }
        }

        /// <summary>A count, at most one item per byte left.</summary>
        private static int Count(BinaryReader reader, int length) =>
            reader.ReadInt32() is var count && count >= 0 && count <= length ? count : throw new InvalidDataException($"a count of {count}");
    }

    /// <summary>A build's lifetime in the server: cancelled by its client's signal, or when the client is gone.</summary>
    private sealed class RequestLifetime : ICommandLifetime
    {
        public const int SignalInterrupt = 2, SignalTerminate = 15;

        private readonly CancellationTokenSource _cancel = new();
        private int _signal;
        private int _finished;

        public CancellationToken Token => _cancel.Token;

        public string? Signal => Volatile.Read(ref _signal) switch { 0 => null, SignalInterrupt => "SIGINT", _ => "SIGTERM" };

        public int InterruptedExitCode => 128 + Volatile.Read(ref _signal);

        public void Finish() => Volatile.Write(ref _finished, 1);

        public void Cancel(int signal)
        {
            if (Volatile.Read(ref _finished) == 1) return;
            if (Interlocked.CompareExchange(ref _signal, signal == SignalInterrupt ? SignalInterrupt : SignalTerminate, 0) == 0) _cancel.Cancel();
        }
    }

    /// <summary>The server's end of a connection: frames written whole, one at a time; a client that is gone is not written to.</summary>
    private sealed class ServerChannel(Stream stream)
    {
        private readonly Lock _lock = new();
        private bool _gone;

        public Stream Stream => stream;

        /// <summary>The files of the build running for this client.</summary>
        public ClientStdio? Stdio { get; set; }

        public void Send(byte kind, ReadOnlySpan<byte> payload)
        {
            lock (_lock)
            {
                if (_gone) return;
                try
                {
                    stream.Write(Frames.Header(kind, payload.Length));
                    stream.Write(payload);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    _gone = true;
                }
            }
        }

        public void Exit(int exitCode)
        {
            Span<byte> code = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(code, exitCode);
            Send(Frames.Exit, code);
        }

        public void EndedByRecipe(int code)
        {
            Stdio?.WriteErrorLine(ProcessLifetime.RecipeExitMessage(code));
            Exit(Program.ExitFailure);
        }
    }

    /// <summary>
    /// The stdin, stdout and stderr a client handed over (<see cref="DescriptorPassing"/>): what its build reads and
    /// writes through Console, and its stdout for an archive (<c>-o -</c>). Disposed when the build is over, which
    /// closes them.
    /// </summary>
    private sealed class ClientStdio : CommandOutput, IDisposable
    {
        private readonly SafeFileHandle _input, _output, _error;
        private readonly StreamWriter _outFile, _errFile;
        private readonly TextWriter _out, _err;
        private readonly Lazy<StreamReader> _in;
        private volatile bool _outputForData;

        public ClientStdio(SafeFileHandle[] handles)
        {
            (_input, _output, _error) = (handles[0], handles[1], handles[2]);
            (_outFile, _errFile) = (Writer(_output), Writer(_error));
            // Synchronized: with -o -, Console.Out and Console.Error (each under a lock of its own) both write to stderr's
            // writer, which one lock then guards, as in a command's own process.
            (_out, _err) = (TextWriter.Synchronized(_outFile), TextWriter.Synchronized(_errFile));
            // Made when first read: a build that reads nothing takes nothing from the command's stdin.
            _in = new(() => new StreamReader(new FileStream(_input, FileAccess.Read, bufferSize: 0), new UTF8Encoding(false)));
        }

        public TextWriter Out => _outputForData ? _err : _out;

        public TextWriter Error => _err;

        public TextReader In => _in.Value;

        public override bool IsTerminal => DescriptorPassing.IsTerminal(_output);

        public override Stream Open() => new FileStream(new SafeFileHandle(_output.DangerousGetHandle(), ownsHandle: false), FileAccess.Write, bufferSize: 0);

        public override void KeepForData() => _outputForData = true;

        /// <summary>
        /// Makes them the server's own fds 0, 1 and 2 for the build (one at a time), which the programs its recipe starts
        /// itself inherit, as they would the command's.
        /// </summary>
        public void Attach()
        {
            foreach (var (handle, target) in new[] { (_input, 0), (_output, 1), (_error, 2) })
                if (dup2((int)handle.DangerousGetHandle(), target) < 0) throw new IOException($"dup2: error {Marshal.GetLastPInvokeError()}");
        }

        /// <summary>Makes /dev/null the server's fds 0, 1 and 2: between builds they lead nowhere.</summary>
        public static void Detach()
        {
            using var nowhere = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            for (var target = 0; target <= 2; target++) _ = dup2((int)nowhere.DangerousGetHandle(), target);
        }

        public void WriteErrorLine(string line)
        {
            try
            {
                _err.WriteLine(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        }

        /// <summary>Closes them; not through the synchronized writers, whose lock a thread the recipe left writing may hold.</summary>
        public void Dispose()
        {
            foreach (var close in new Action[] { _outFile.Dispose, _errFile.Dispose, () => { if (_in.IsValueCreated) _in.Value.Dispose(); else _input.Dispose(); } })
            {
                try
                {
                    close();
                }
                catch (IOException)
                {
                    // What was left to flush could not be written (the reader is gone): the build is over all the same.
                }
            }
        }

        private static StreamWriter Writer(SafeFileHandle handle) =>
            new(new FileStream(handle, FileAccess.Write, bufferSize: 0), new UTF8Encoding(false), 4096) { AutoFlush = true };
    }

    /// <summary>
    /// Where Console reads and writes in the server: the files of the client whose build's code does it. The route is
    /// an AsyncLocal set as the build starts, so it flows into every task, thread and timer the build (its recipe too)
    /// starts; once the build is over, or outside builds, output goes nowhere and input is at its end.
    /// </summary>
    private static class ConsoleRoute
    {
        private static readonly AsyncLocal<Route?> Current = new();

        public static IDisposable To(ClientStdio stdio)
        {
            var route = new Route(stdio);
            Current.Value = route;
            return route;
        }

        private sealed class Route(ClientStdio stdio) : IDisposable
        {
            private volatile bool _over;

            public bool Over => _over;

            public TextWriter? Writer(bool error) => _over ? null : error ? stdio.Error : stdio.Out;

            public TextReader? Reader => _over ? null : stdio.In;

            public void Dispose() => _over = true;
        }

        /// <summary>Runs a write; one that races the end of its build (its files just closed) goes nowhere, as later ones do.</summary>
        private static void Guarded(Action write)
        {
            try
            {
                write();
            }
            catch (Exception e) when (e is ObjectDisposedException or IOException && Current.Value is { Over: true })
            {
            }
        }

        /// <summary>Console's stdout or stderr writer, for the whole server.</summary>
        public sealed class Writer(bool error) : TextWriter
        {
            public override Encoding Encoding => Encoding.UTF8;

            private TextWriter? Target => Current.Value?.Writer(error);

            public override void Write(char value) => Guarded(() => Target?.Write(value));
            public override void Write(string? value) => Guarded(() => Target?.Write(value));
            public override void Write(char[] buffer, int index, int count) => Guarded(() => Target?.Write(buffer, index, count));
            public override void Write(ReadOnlySpan<char> buffer)
            {
                var text = buffer.ToString();
                Guarded(() => Target?.Write(text));
            }
            public override void WriteLine(string? value) => Guarded(() => Target?.WriteLine(value));
            public override void WriteLine(ReadOnlySpan<char> buffer)
            {
                var text = buffer.ToString();
                Guarded(() => Target?.WriteLine(text));
            }
            public override void Flush() => Guarded(() => Target?.Flush());
        }

        /// <summary>Console's stdin reader, for the whole server.</summary>
        public sealed class Reader : TextReader
        {
            private static TextReader Source => Current.Value?.Reader ?? Null;

            public override int Peek() => Source.Peek();
            public override int Read() => Source.Read();
            public override int Read(char[] buffer, int index, int count) => Source.Read(buffer, index, count);
            public override string? ReadLine() => Source.ReadLine();
            public override string ReadToEnd() => Source.ReadToEnd();
        }
    }
}

/// <summary>
/// The build server's frames: a kind (one byte), the payload's length (4 bytes, little-endian), the payload. A client
/// first hands over its stdin, stdout and stderr (<see cref="DescriptorPassing"/>), then sends a request, then cancels;
/// the server answers accepted (or busy), then the exit code.
/// </summary>
internal static class Frames
{
    public const byte Request = (byte)'q', Cancel = (byte)'c';
    public const byte Accepted = (byte)'a', Busy = (byte)'b', Exit = (byte)'x';

    public static byte[] Header(byte kind, int length)
    {
        var header = new byte[5];
        header[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(1), length);
        return header;
    }

    public static void Write(Stream stream, byte kind, ReadOnlySpan<byte> payload)
    {
        stream.Write(Header(kind, payload.Length));
        stream.Write(payload);
    }

    /// <summary>The next frame; null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">The stream ends inside a frame, or a frame is longer than <paramref name="maxLength"/>.</exception>
    public static async Task<(byte Kind, byte[] Payload)?> ReadAsync(Stream stream, int maxLength, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0) return null;
        if (read < header.Length) throw new InvalidDataException("the stream ends inside a frame");
        var length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(1));
        if (length < 0 || length > maxLength) throw new InvalidDataException($"a frame of {length} bytes");
        var payload = new byte[length];
        if (await stream.ReadAtLeastAsync(payload, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
            throw new InvalidDataException("the stream ends inside a frame");
        return (header[0], payload);
    }
}
