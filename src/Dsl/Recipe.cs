using System.Diagnostics;
using System.Runtime.CompilerServices;
using TinyImage.Core;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>
/// What a recipe sees: <see cref="From"/> to start images and <see cref="Sh"/> to run build steps.
/// It collects the images the recipe defines: every builder chain that is not extended further is
/// one image, so a recipe may define several, with or without a final semicolon.
/// </summary>
public sealed class Recipe
{
    private readonly List<ImageBuilder> _builders = [];
    private readonly HashSet<ImageBuilder> _extended = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationToken _cancellationToken;

    /// <param name="path">The recipe file; relative paths in the recipe are relative to its directory.</param>
    /// <param name="arguments">The values of <c>--arg name=value</c>, read by the recipe as <see cref="Args"/>.</param>
    /// <param name="cancellationToken">Cancels the run (Ctrl-C): a running <see cref="Sh"/> command is killed, with all it started.</param>
    public Recipe(string path, IReadOnlyDictionary<string, string>? arguments = null, CancellationToken cancellationToken = default)
    {
        _cancellationToken = cancellationToken;
        Path = System.IO.Path.GetFullPath(path);
        Directory = System.IO.Path.GetDirectoryName(Path)!;
        From = new ImageFactory(this);
        Args = new RecipeArguments(arguments ?? new Dictionary<string, string>(), Path);
    }

    /// <summary>Parameters from the command line: <c>tinyrun recipe.tiny.csx --arg version=1.2</c> gives <c>Args["version"]</c>.</summary>
    public RecipeArguments Args { get; }

    /// <summary>The recipe file's absolute path.</summary>
    public string Path { get; }

    /// <summary>The directory relative paths are resolved against.</summary>
    public string Directory { get; }

    /// <summary>Starts an image: <c>From.Scratch()</c>.</summary>
    public ImageFactory From { get; }

    /// <summary>
    /// Runs <paramref name="command"/> with /bin/sh in the recipe's directory, now, and fails the build
    /// with the exit code and output when it fails. The command reads no input (end of file), and it and
    /// everything it starts are killed when the build is cancelled or tinyrun ends, even by <c>kill -9</c>.
    /// </summary>
    public void Sh(string command, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var location = Locate(file, line);
        _cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var argument in new[] { "-c", ShellSupervisor, "tinyrun-sh", command }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)
            ?? throw new TinyImageException(SourceLocation.Prefix(location, "cannot start /bin/sh"));
        // process.StandardInput stays open, unwritten, until the command ends: the supervisor's lifeline to tinyrun.
        var output = new OutputTail(MaxShownOutputLines);
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (_cancellationToken.Register(() => KillTree(process)))
            process.WaitForExit();
        _cancellationToken.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
        {
            var shown = output.ToString();
            throw new TinyImageException(SourceLocation.Prefix(location,
                $"Sh(\"{command}\") failed with exit code {process.ExitCode}; fix the command. Its output{output.Omitted}:\n    {(shown.Length == 0 ? "(no output)" : shown.Replace("\n", "\n    "))}"));
        }
    }

    /// <summary>
    /// The /bin/sh script that runs an <see cref="Sh"/> command (<c>$1</c>): in a session of its own (setsid), so that
    /// one signal to its process group reaches everything it started; with input from /dev/null. Its own input is a
    /// pipe from tinyrun that nobody writes to: reading it ends only when tinyrun has gone, however it went (kill -9
    /// included), and then the command's whole group is killed. INT, TERM and HUP (Ctrl-C, a closed terminal) kill
    /// the group too; otherwise it exits with the command's status. The watcher is started before the trap is set
    /// (a shell forked with a trap set can lose a signal that arrives before it resets it), killed with KILL, and
    /// holds none of the command's output pipes, so that it can never keep Sh waiting for their end.
    /// </summary>
    private const string ShellSupervisor = """
        exec 3<&0 </dev/null
        if command -v setsid >/dev/null 2>&1; then setsid /bin/sh -c "$1" 3<&- & else /bin/sh -c "$1" 3<&- & fi
        pid=$!
        { read -r _ <&3; kill -KILL -"$pid" "$pid"; } >/dev/null 2>&1 &
        watcher=$!
        exec 3<&-
        trap 'kill -KILL -"$pid" "$pid" 2>/dev/null' INT TERM HUP
        while :; do wait "$pid"; status=$?; kill -0 "$pid" 2>/dev/null || break; done
        kill -KILL "$watcher" 2>/dev/null
        exit "$status"
        """;

    private static void KillTree(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or AggregateException) { }
    }

    private const int MaxShownOutputLines = 60;

    /// <summary>The last lines a command printed (stdout and stderr, interleaved as they came), without keeping all of it.</summary>
    private sealed class OutputTail(int capacity)
    {
        private readonly Queue<string> _lines = new();
        private int _dropped;

        public string Omitted { get { lock (_lines) return _dropped == 0 ? "" : $" (last {capacity} lines; {_dropped} before them not shown)"; } }

        public void Add(string? line)
        {
            if (line is null) return;
            lock (_lines)
            {
                _lines.Enqueue(line.Length > 1000 ? line[..1000] + "..." : line);
                if (_lines.Count > capacity) { _lines.Dequeue(); _dropped++; }
            }
        }

        public override string ToString() { lock (_lines) return string.Join('\n', _lines).TrimEnd(); }
    }

    /// <summary>The images the recipe defined, in the order their last call was made.</summary>
    public IReadOnlyList<ImageSpec> Images() =>
        _builders.Where(b => !_extended.Contains(b)).Select(b => b.Spec).ToList();

    /// <summary>Marks <paramref name="builder"/> as a part of another image (a root), not an image of its own.</summary>
    internal void Absorb(ImageBuilder builder) => _extended.Add(builder);

    internal ImageBuilder Register(ImageBuilder builder, ImageBuilder? parent)
    {
        if (parent is not null) _extended.Add(parent);
        _builders.Add(builder);
        return builder;
    }

    internal SourceLocation? Locate(string file, int line) =>
        line > 0 ? new SourceLocation(string.IsNullOrEmpty(file) ? Path : file, line) : null;

    internal string ResolveSource(string path) =>
        System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(Directory, path));
}
