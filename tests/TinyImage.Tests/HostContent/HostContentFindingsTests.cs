using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.HostContent;

/// <summary>
/// Issue 8, findings 1, 6 and 9: what a recipe names is read through one reader that never follows a link out of its
/// tree or root, never opens a FIFO or device, and gives the recipe's own files the same modes on every checkout.
/// </summary>
public sealed class HostContentFindingsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ImageBuilder Scratch() => new Recipe(_dir.Combine("r.tiny.csx")).From.Scratch();

    private static FileTree Assemble(ImageBuilder image) =>
        new TreeAssembler(new ResolverOptions { Files = new HostFiles(image.Spec.Root ?? "/") }).Assemble(image.Spec).Tree;

    /// <summary>Runs <paramref name="action"/> and fails (instead of hanging the suite) when it does not return in time.</summary>
    private static Exception? Bounded(Action action)
    {
        var task = Task.Run(() =>
        {
            try { action(); return null; }
            catch (Exception e) { return e; }
        });
        Assert.True(task.Wait(TimeSpan.FromSeconds(20)), "blocked: the build opened a FIFO or device");
        return task.Result;
    }

    [Fact]
    public void Finding01_AddDirectory_copies_a_link_to_a_directory_outside_the_tree_as_a_link()
    {
        _dir.Write("tree/i", "a");
        File.CreateSymbolicLink(_dir.Combine("tree/etc"), "/etc");
        File.CreateSymbolicLink(_dir.Combine("tree/shadow"), "/etc/shadow");
        var tree = Assemble(Scratch().AddDirectory("tree", "/srv/www"));

        Assert.Equal(["/srv/www", "/srv/www/etc", "/srv/www/i", "/srv/www/shadow"], tree.Paths);
        var etc = tree.Find("/srv/www/etc")!;
        Assert.Equal((EntryKind.Symlink, "/etc"), (etc.Kind, etc.LinkTarget));
        Assert.Equal((EntryKind.Symlink, "/etc/shadow"), (tree.Find("/srv/www/shadow")!.Kind, tree.Find("/srv/www/shadow")!.LinkTarget));
        Assert.DoesNotContain(tree.Paths, p => p.StartsWith("/srv/www/etc/", StringComparison.Ordinal));
        Assert.All(tree.Entries().Where(e => e.SourcePath is not null), e => Assert.StartsWith(_dir.Path + "/tree/", e.SourcePath));
    }

    [Fact]
    public void Finding01_an_absolute_link_inside_a_root_is_resolved_in_the_root_never_on_the_host()
    {
        var secret = _dir.Write("secret/key.pem", "SECRET");
        Directory.CreateDirectory(_dir.Combine("rootfs/etc"));
        File.CreateSymbolicLink(_dir.Combine("rootfs/x"), secret);
        File.CreateSymbolicLink(_dir.Combine("rootfs/etc/key"), secret);
        var image = Scratch().Root("rootfs");

        var error = Assert.Throws<TinyImageException>(() => Assemble(image.AddFile("/x", "/x")));
        Assert.Contains("'/x' in root '", error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.Throws<TinyImageException>(() => Assemble(image.AddBinary("/x")));

        var tree = Assemble(image.AddDirectory("/etc", "/etc"));
        Assert.Equal((EntryKind.Symlink, secret), (tree.Find("/etc/key")!.Kind, tree.Find("/etc/key")!.LinkTarget));
        Assert.DoesNotContain(tree.Entries(), e => e.SourcePath == secret);
    }

    [Fact]
    public void Finding06_the_recipes_own_files_get_the_same_modes_under_any_umask()
    {
        var script = _dir.Write("app/run.sh", "#!/bin/sh\necho hi\n");
        var data = _dir.Write("app/data.txt", "data");
        var nested = _dir.Combine("app/sub");
        Directory.CreateDirectory(nested);
        _dir.Write("app/sub/x", "x");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(nested, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(_dir.Combine("app"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var tree = Assemble(Scratch()
            .AddDirectory("app", "/app")
            .AddFile("app/data.txt", "/etc/data")
            .AddFile("app/data.txt", "/etc/private", mode: 600)
            .AddBinary("app/run.sh", "/usr/local/bin/run"));

        Assert.Equal(0x1ED, tree.Find("/app")!.Mode);
        Assert.Equal(0x1ED, tree.Find("/app/sub")!.Mode);
        Assert.Equal(0x1ED, tree.Find("/app/run.sh")!.Mode);
        Assert.Equal(0x1A4, tree.Find("/app/data.txt")!.Mode);
        Assert.Equal(0x1A4, tree.Find("/app/sub/x")!.Mode);
        Assert.Equal(0x1A4, tree.Find("/etc/data")!.Mode);
        Assert.Equal(0x180, tree.Find("/etc/private")!.Mode); // a mode the recipe gives wins
        Assert.Equal(0x1ED, tree.Find("/usr/local/bin/run")!.Mode);
    }

    [Fact]
    public void Finding06_host_files_named_by_absolute_path_keep_their_modes()
    {
        var file = _dir.Write("host.txt", "x");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0x180, Assemble(Scratch().AddFile(file, "/h")).Find("/h")!.Mode);
    }

    [Fact]
    public void Finding06_two_checkouts_under_different_umasks_give_the_same_digest()
    {
        string Build(string name, UnixFileMode fileMode, UnixFileMode dirMode)
        {
            var root = _dir.Combine(name);
            _dir.Write(name + "/web/index.html", "<h1>hi</h1>");
            _dir.Write(name + "/web/css/site.css", "h1{}");
            _dir.Write(name + "/r.tiny.csx", "From.Scratch().AddDirectory(\"web\", \"/srv/web\").AddFile(\"web/index.html\", \"/index.html\").Tag(\"umask-test:1\")\n");
            foreach (var f in Directory.GetFiles(root + "/web", "*", SearchOption.AllDirectories)) File.SetUnixFileMode(f, fileMode);
            foreach (var d in Directory.GetDirectories(root + "/web", "*", SearchOption.AllDirectories).Append(root + "/web")) File.SetUnixFileMode(d, dirMode);
            var result = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = _dir.Combine(name + "-cache") }, root, "r.tiny.csx", "-q");
            Assert.True(result.ExitCode == 0, result.Stderr);
            return result.Stdout.Split("  ")[1];
        }
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode rwx = rw | UnixFileMode.UserExecute;
        const UnixFileMode all = rwx | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var under077 = Build("a", rw, rwx);
        var under022 = Build("b", rw | UnixFileMode.GroupRead | UnixFileMode.OtherRead, all);
        Assert.StartsWith("sha256:", under077);
        Assert.Equal(under022, under077);
    }

    [Fact]
    public void Finding09_AddFile_of_a_FIFO_is_refused_without_blocking()
    {
        var fifo = _dir.Combine("fifo");
        Assert.Equal(0, Run.Process("mkfifo", [fifo]).ExitCode);
        var error = Bounded(() => Assemble(Scratch().AddFile("fifo", "/f")));
        Assert.IsType<TinyImageException>(error);
        Assert.Contains("FIFO", error!.Message);
        Assert.IsType<TinyImageException>(Bounded(() => Assemble(Scratch().AddBinary("fifo", "/f"))));
        Assert.IsType<TinyImageException>(Bounded(() => Assemble(Scratch().AddFile(fifo, "/f"))));
    }

    [Fact]
    public void Finding09_AddDirectory_of_a_tree_holding_a_FIFO_or_socket_is_refused_without_blocking()
    {
        _dir.Write("tree/a.txt", "a");
        Assert.Equal(0, Run.Process("mkfifo", [_dir.Combine("tree/pipe")]).ExitCode);
        var error = Bounded(() => Assemble(Scratch().AddDirectory("tree", "/t")));
        Assert.IsType<TinyImageException>(error);
        Assert.Contains("tree/pipe", error!.Message);
        Assert.Contains("FIFO", error.Message);

        File.Delete(_dir.Combine("tree/pipe"));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(_dir.Combine("tree/sock")));
        Assert.Contains("tree/sock", Bounded(() => Assemble(Scratch().AddDirectory("tree", "/t")))!.Message);
    }

    [Fact]
    public void Finding09_a_device_is_never_read()
    {
        var error = Bounded(() => Assemble(Scratch().AddFile("/dev/zero", "/z")));
        Assert.IsType<TinyImageException>(error);
        Assert.Contains("device", error!.Message);
    }

    [Fact]
    public void Finding09_a_file_swapped_for_a_FIFO_after_assembly_is_refused_when_the_layer_is_written()
    {
        var file = _dir.Write("swap", "x");
        var tree = Assemble(Scratch().AddFile("swap", "/swap"));
        File.Delete(file);
        Assert.Equal(0, Run.Process("mkfifo", [file]).ExitCode);
        var writer = new TinyImage.Core.Layers.LayerWriter(new TinyImage.Core.Layers.LayerOptions());
        var error = Bounded(() => writer.MeasureAsync(tree.Entries(), CancellationToken.None).GetAwaiter().GetResult());
        Assert.IsType<TinyImageException>(error);
    }
}
