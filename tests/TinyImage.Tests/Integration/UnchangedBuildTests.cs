using System.Text;
using System.Text.RegularExpressions;
using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Integration;

/// <summary>
/// A build whose every input is as the last build of the same spec found it is not done again (issue 10): the image
/// comes from the build's record, the archive is left as it is, and only the engine and the registry are given it.
/// Any change to what that build looked at (a file's content, a directory's entries, a link's target, a path that did
/// not exist) or to its archive builds again; and strace shows that the record holds every path the build looked at.
/// </summary>
public sealed partial class UnchangedBuildTests
{
    /// <summary>What <c>TINYRUN_MARKS=1</c> prints when a build was skipped.</summary>
    private const string Skipped = " unchanged\n";

    private static (TempDirectory Dir, Dictionary<string, string> Env) NewRecipe()
    {
        var dir = new TempDirectory();
        dir.Write("data/a.txt", "a");
        dir.Write("data/b.txt", "b");
        dir.Write("tree/one.txt", "1");
        File.CreateSymbolicLink(dir.Combine("link"), "data/a.txt");
        dir.Write("skip.tiny.csx", $"""
            From.Scratch()
                .AddBinary("/bin/ls")
                .AddBinary("/bin/bash")
                .WithLibs()
                .AddFile("{dir.Combine("link")}", "/link.txt")
                .AddDirectory("tree", "/tree")
                .WithPasswd()
                .Tag("skip:1")
            """);
        // A build trusts no stamp younger than FileStamp.SettleTime: it records nothing until these have settled, the
        // directory that holds them too (which the first build would change by making out/ and the cache in it).
        Directory.CreateDirectory(dir.Combine("out"));
        Directory.CreateDirectory(dir.Combine("cache"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Thread.Sleep(FileStamp.SettleTime + TimeSpan.FromMilliseconds(1100));
        return (dir, new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache"), ["TINYRUN_MARKS"] = "1", ["TINYRUN_SERVER"] = "0" });
    }

    private static ProcessResult Build(TempDirectory dir, Dictionary<string, string> env)
    {
        var result = Run.Tinyrun(env, dir.Path, "skip.tiny.csx");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>stderr without the marks (whose times differ).</summary>
    private static string Said(ProcessResult result) => string.Join('\n', result.Stderr.Split('\n').Where(l => !l.StartsWith("mark ", StringComparison.Ordinal)));

    private static string Identity(string path) => HostFileStatus.IdentityOf(path, followLinks: false);

    [Fact]
    public void An_unchanged_build_is_skipped_and_any_change_to_what_it_looked_at_builds_again()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        var archive = dir.Combine("out/skip.tar");
        var first = Build(dir, env);
        Assert.DoesNotContain(Skipped, first.Stderr);
        var written = Identity(archive);

        var again = Build(dir, env);
        Assert.Contains(Skipped, again.Stderr);
        var told = Run.Tinyrun(env, dir.Path, "skip.tiny.csx", "--verbose");
        Assert.Matches(@"unchanged: the \d+ host paths the last build of skip:1 looked at are as they were; its image is used as it is\n", told.Stderr);
        Assert.Equal(first.Stdout, again.Stdout); // the summary: digest, sizes, files
        Assert.Equal(Said(first), Said(again)); // the hints and the largest files
        Assert.Equal(written, Identity(archive)); // not written again
        Assert.Equal(written.Split(':')[4], Identity(archive).Split(':')[4]);

        // A file's content (a build right after the change records nothing; the next one, settled, does).
        File.WriteAllText(dir.Combine("data/a.txt"), "A");
        var changed = Build(dir, env);
        Assert.DoesNotContain(Skipped, changed.Stderr);
        Assert.NotEqual(first.Stdout, changed.Stdout);
        Assert.DoesNotContain(Skipped, Build(dir, env).Stderr);
        Thread.Sleep(FileStamp.SettleTime + TimeSpan.FromMilliseconds(1100));
        Build(dir, env);
        Assert.Contains(Skipped, Build(dir, env).Stderr);

        // A directory's entries: a file added to a directory it copied.
        dir.Write("tree/two.txt", "2");
        var added = Build(dir, env);
        Assert.DoesNotContain(Skipped, added.Stderr);
        Assert.Contains("/tree/two.txt", ImageArchive.Read(archive).NonDirectories());

        // A link's target (the file it now leads to, settled long ago, has the same size).
        File.Delete(dir.Combine("link"));
        File.CreateSymbolicLink(dir.Combine("link"), "data/b.txt");
        var retargeted = Build(dir, env);
        Assert.DoesNotContain(Skipped, retargeted.Stderr);
        Assert.NotEqual(added.Stdout, retargeted.Stdout);

        // The archive: gone, or not what the build wrote.
        Thread.Sleep(FileStamp.SettleTime + TimeSpan.FromMilliseconds(1100));
        Build(dir, env);
        Assert.Contains(Skipped, Build(dir, env).Stderr);
        File.Delete(archive);
        Assert.DoesNotContain(Skipped, Build(dir, env).Stderr);
        Assert.True(File.Exists(archive));
        File.AppendAllText(archive, "x");
        Assert.DoesNotContain(Skipped, Build(dir, env).Stderr);
        ImageArchive.Read(archive);

        // Another recipe (and the same with another --tag) is another key.
        var tagged = Run.Tinyrun(env, dir.Path, "skip.tiny.csx", "--tag", "other:1");
        Assert.True(tagged.ExitCode == 0, tagged.ToString());
        Assert.DoesNotContain(Skipped, tagged.Stderr);
    }

    [Fact]
    public void A_damaged_record_is_no_record_and_the_next_build_makes_it_again()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        var first = Build(dir, env);
        var record = Assert.Single(Directory.GetFiles(dir.Combine("cache/layers/builds")));
        File.WriteAllText(record, "tinyimage-build-record 1\nin\tP\tgarbage\n");
        var rebuilt = Build(dir, env);
        Assert.DoesNotContain(Skipped, rebuilt.Stderr);
        Assert.Equal(first.Stdout, rebuilt.Stdout);
        Assert.Contains(Skipped, Build(dir, env).Stderr);

        // A layer's blob changed in the cache: no skip takes it (the lookup checks it, finds it damaged, makes it again).
        var blob = Directory.GetFiles(dir.Combine("cache/layers"), "*.digest", SearchOption.AllDirectories).Select(d => d[..^".digest".Length]).First();
        var bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x55;
        File.WriteAllBytes(blob, bytes);
        var repaired = Build(dir, env);
        Assert.DoesNotContain(Skipped, repaired.Stderr);
        Assert.Equal(first.Stdout, repaired.Stdout);
        Assert.NotEqual(bytes, File.ReadAllBytes(blob));

        // A prune empties the records with the blobs they name.
        var prune = Run.Tinyrun(env, dir.Path, "cache", "prune", "--max-size", "0");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Empty(Directory.GetFiles(dir.Combine("cache/layers/builds")));
        Assert.DoesNotContain(Skipped, Build(dir, env).Stderr);
    }

    /// <summary>
    /// The record against strace of the same build: every path the build looked at between its marks "pipeline start"
    /// and "sbom written" (its own files, not the runtime's, the cache's or the output's) is in it: the path itself
    /// when it exists, else the path or the directory that would hold it (with its times); and every directory it
    /// listed is in it with its times.
    /// </summary>
    [Fact]
    public void Every_path_the_build_looks_at_is_in_its_record()
    {
        var (dir, env) = NewRecipe();
        using var _ = dir;
        var log = dir.Combine("strace.log");
        var traced = Run.Process("strace", ["-f", "-qq", "-s", "4096", "-e", "trace=%file,write", "-o", log, "dotnet", Run.TinyrunDll, "skip.tiny.csx"], dir.Path, env);
        Assert.True(traced.ExitCode == 0, traced.ToString());
        var record = Assert.Single(Directory.GetFiles(dir.Combine("cache/layers/builds")));
        var inputs = File.ReadAllLines(record).Where(l => l.StartsWith("in\t", StringComparison.Ordinal)).Select(l => l.Split('\t'))
            .Select(f => (Path: Encoding.UTF8.GetString(Convert.FromBase64String(f[3])), Identity: f[2])).ToList();
        var recorded = inputs.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);
        // Whole: with the times that change when a directory's entries do (a directory walked through is recorded without).
        var whole = inputs.Where(i => i.Identity.Split(':').Length == 8).Select(i => i.Path).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("/usr/bin/ls", recorded);

        var runtime = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)!)!)!;
        string[] notInputs = [dir.Combine("cache") + "/", dir.Combine("out") + "/", "/proc/", "/sys/", "/dev/", runtime + "/", AppContext.BaseDirectory];
        var inWindow = false;
        var looked = new SortedSet<string>(StringComparer.Ordinal);
        var listed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(log))
        {
            if (MarkWrite().IsMatch(line)) // stderr, on whatever descriptor the runner writes it
            {
                if (line.Contains(" pipeline start\\n", StringComparison.Ordinal)) inWindow = true;
                if (line.Contains(" sbom written\\n", StringComparison.Ordinal)) inWindow = false;
                continue;
            }
            if (!inWindow || PathCall().Match(line) is not { Success: true } call) continue;
            var path = call.Groups["path"].Value;
            if (path.Length == 0) continue; // statx of an open file
            path = Path.GetFullPath(path, dir.Path);
            // In those, or on the way to them (the runtime's directory, the runner's).
            if (notInputs.Any(p => path.StartsWith(p, StringComparison.Ordinal) || p.StartsWith(path + "/", StringComparison.Ordinal))) continue;
            looked.Add(path);
            if (line.Contains("O_DIRECTORY", StringComparison.Ordinal) && !line.EndsWith("= -1 ENOENT (No such file or directory)", StringComparison.Ordinal)) listed.Add(path);
        }
        Assert.NotEmpty(looked);
        // A path that does not exist is covered by its own record, or by the whole record of the directory it would be in.
        var missing = looked.Where(p => !recorded.Contains(p)
            && (File.Exists(p) || Directory.Exists(p) || !whole.Contains(Path.GetDirectoryName(p)!))).ToList();
        Assert.True(missing.Count == 0, $"looked at but not recorded ({missing.Count} of {looked.Count}): {string.Join(", ", missing.Take(40))}");
        Assert.Contains(dir.Combine("tree"), listed);
        var partly = listed.Where(p => !whole.Contains(p)).ToList();
        Assert.True(partly.Count == 0, $"listed but recorded without the times that change with its entries: {string.Join(", ", partly)}");
    }

    [GeneratedRegex("^\\d+\\s+write\\(\\d+, \"mark ")]
    private static partial Regex MarkWrite();

    /// <summary>A system call that names a path (openat, statx, newfstatat, readlink, access...), the path its first string.</summary>
    [GeneratedRegex("^\\d+\\s+(?!write)\\w+\\((?:AT_FDCWD, )?\"(?<path>[^\"]*)\"")]
    private static partial Regex PathCall();
}
