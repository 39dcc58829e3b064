using System.Diagnostics;
using System.Security.Cryptography;
using TinyImage.Core.Debian;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Integration;
using Xunit.Abstractions;

namespace TinyImage.Tests.Debian;

/// <summary>The real Debian mirror of this machine's apt sources (the only network a test may use).</summary>
[Collection(DebianMirrorCollection.Name)]
public sealed class DebianMirrorTests(DebianMirrorFixture mirror, ITestOutputHelper output)
{
    [Fact]
    public async Task Mirror_hello_root_has_hello_libc_and_a_loader_that_resolves_inside_it()
    {
        var archive = await mirror.ArchiveAsync();
        output.WriteLine($"opened {archive.Suite} {archive.Architecture}: {archive.Packages.Count} packages in {mirror.OpenTime.TotalMilliseconds:0} ms");
        var packageLock = archive.Resolve(["hello"]);
        output.WriteLine($"hello: {packageLock.Packages.Count} packages, {packageLock.TotalSize} bytes: {string.Join(' ', packageLock.Packages)}");

        var watch = Stopwatch.StartNew();
        var root = await PackageRoot.MaterializeAsync(packageLock, mirror.Options, CancellationToken.None);
        output.WriteLine($"materialized in {watch.ElapsedMilliseconds} ms: {root.Directory}");

        Assert.Contains(packageLock.Packages, p => p.Name == "libc6");
        Assert.True(File.Exists(Path.Combine(root.Directory, "usr/bin/hello")));
        Assert.True(File.Exists(Path.Combine(root.Directory, "usr/lib/x86_64-linux-gnu/libc.so.6")));
        var loader = new HostFiles(root.Directory).Resolve("/lib64/ld-linux-x86-64.so.2");
        Assert.NotNull(loader);
        Assert.StartsWith("/usr/lib/", loader.Value.RealPath);
        Assert.True(File.Exists(Path.Combine(root.Directory, loader.Value.RealPath.TrimStart('/'))));

        // The root works: its own loader runs its hello with its own libc.
        var run = Process.Start(new ProcessStartInfo(Path.Combine(root.Directory, loader.Value.RealPath.TrimStart('/')))
        {
            ArgumentList = { "--library-path", Path.Combine(root.Directory, "usr/lib/x86_64-linux-gnu"), Path.Combine(root.Directory, "usr/bin/hello") },
            RedirectStandardOutput = true,
        })!;
        var printed = await run.StandardOutput.ReadToEndAsync();
        await run.WaitForExitAsync();
        Assert.Equal("Hello, world!\n", printed);

        watch.Restart();
        await PackageRoot.MaterializeAsync(packageLock, mirror.Options, CancellationToken.None);
        output.WriteLine($"warm materialize in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Mirror_InRelease_is_accepted_by_gpgv_as_by_us()
    {
        var archive = await mirror.ArchiveAsync();
        var cached = Directory.GetFiles(Path.Combine(mirror.Options.CacheDirectory, "releases"), "InRelease", SearchOption.AllDirectories).Single();
        var keyring = AptSourceList.Read().Find(DebianMirrorFixture.Suite)!.SignedBy.Single();
        var gpgv = Process.Start(new ProcessStartInfo("gpgv") { ArgumentList = { "--keyring", keyring, cached }, RedirectStandardError = true })!;
        await gpgv.StandardError.ReadToEndAsync();
        await gpgv.WaitForExitAsync();
        Assert.Equal(0, gpgv.ExitCode);

        // The lock's Release-SHA256 is the hash of the suite's Release file as the mirror serves it.
        using var http = new HttpClient();
        var release = await http.GetByteArrayAsync(new Uri(archive.Mirror, $"dists/{DebianMirrorFixture.Suite}/Release"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(release)), archive.ReleaseSha256);
    }

    [Fact]
    public async Task Mirror_curl_with_ca_certificates_resolves_to_what_curl_needs_and_nothing_essential()
    {
        var archive = await mirror.ArchiveAsync();
        var packageLock = archive.Resolve(["curl", "ca-certificates"]);
        output.WriteLine($"curl ca-certificates: {packageLock.Packages.Count} packages, {packageLock.TotalSize} bytes: {string.Join(' ', packageLock.Packages.Select(p => p.Name))}");

        foreach (var needed in new[] { "curl", "libcurl4", "ca-certificates", "openssl", "libssl3", "libc6", "zlib1g" })
            Assert.Contains(packageLock.Packages, p => p.Name == needed);
        foreach (var essential in new[] { "bash", "coreutils", "base-files", "dpkg" })
            Assert.DoesNotContain(packageLock.Packages, p => p.Name == essential);
        Assert.True(archive.IsCurrent(packageLock));
        var withRecommends = archive.Resolve(["curl", "ca-certificates"], includeRecommends: true);
        Assert.True(withRecommends.Packages.Count > packageLock.Packages.Count);
    }

    [Fact]
    public async Task Mirror_two_empty_caches_give_identical_trees_for_one_lock()
    {
        var archive = await mirror.ArchiveAsync();
        var packageLock = PackageLockFile.Parse(new PackageLockFile([archive.Resolve(["curl", "ca-certificates"])]).ToText(), "lock").Locks[0];
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        var watch = Stopwatch.StartNew();
        var a = await PackageRoot.MaterializeAsync(packageLock, mirror.Options with { CacheDirectory = first.Path }, CancellationToken.None);
        output.WriteLine($"cold materialize of {packageLock.Packages.Count} packages ({packageLock.TotalSize} bytes) in {watch.ElapsedMilliseconds} ms");
        var b = await PackageRoot.MaterializeAsync(packageLock, mirror.Options with { CacheDirectory = second.Path }, CancellationToken.None);

        var left = Describe(a.Directory);
        var right = Describe(b.Directory);
        output.WriteLine($"{left.Count} entries");
        Assert.True(left.Count > 500);
        Assert.Equal(left, right);
        Assert.Contains(left, l => l.StartsWith("usr/bin/curl f 755 ", StringComparison.Ordinal));
    }

    /// <summary>Every entry: path, kind, mode, and link target or content hash; links are never followed.</summary>
    private static List<string> Describe(string root)
    {
        var entries = new List<string>();
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        while (pending.Count > 0)
            foreach (var info in pending.Pop().EnumerateFileSystemInfos())
            {
                var relative = Path.GetRelativePath(root, info.FullName);
                if (info.LinkTarget is { } target) { entries.Add($"{relative} l {target}"); continue; }
                var mode = Convert.ToString((int)info.UnixFileMode, 8);
                if (info is DirectoryInfo directory)
                {
                    entries.Add($"{relative} d {mode}");
                    pending.Push(directory);
                }
                else entries.Add($"{relative} f {mode} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(info.FullName)))}");
            }
        return entries.Order(StringComparer.Ordinal).ToList();
    }
}
