using System.Text;
using TinyImage.Core;
using TinyImage.Core.Debian;
using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Debian;

/// <summary>The whole path against a test mirror on 127.0.0.1: apt sources, signed index, resolution, lock, download, unpack, root.</summary>
public sealed class DebianArchiveTests
{
    [Fact]
    public async Task Resolves_depends_predepends_alternatives_and_virtual_packages_but_not_recommends_or_essential()
    {
        using var archive = new LoopbackArchive();
        var opened = await archive.OpenAsync();
        Assert.False(opened.FromCache);
        Assert.Equal(archive.Server.Uri, opened.Mirror);

        var packageLock = opened.Resolve(["tinyapp"]);

        Assert.Equal(["libtiny1", "tiny-data-files", "tinyapp"], packageLock.Packages.Select(p => p.Name));
        Assert.Equal("1.2-1", packageLock.Packages[0].Version);
        Assert.Equal("all", packageLock.Packages[1].Architecture);
        var withRecommends = opened.Resolve(["tinyapp"], includeRecommends: true);
        Assert.Equal(["libtiny1", "tiny-data-files", "tiny-extra", "tinyapp"], withRecommends.Packages.Select(p => p.Name));
    }

    [Fact]
    public async Task Materialized_root_is_the_union_with_merged_usr_modes_links_and_hardlinks()
    {
        using var archive = new LoopbackArchive();
        var packageLock = (await archive.OpenAsync()).Resolve(["tinyapp"]);
        var progress = new List<PackageDownloadProgress>();
        var options = archive.Options with { Progress = new SynchronousProgress(progress.Add) };

        var root = await PackageRoot.MaterializeAsync(packageLock, options, CancellationToken.None);

        var dir = root.Directory;
        Assert.Equal("usr/lib", new FileInfo(Path.Combine(dir, "lib")).LinkTarget);
        Assert.Equal("usr/lib64", new FileInfo(Path.Combine(dir, "lib64")).LinkTarget);
        Assert.Equal("usr/bin", new FileInfo(Path.Combine(dir, "bin")).LinkTarget);
        Assert.Equal("/lib/x86_64-linux-gnu/ld-tiny.so.2", new FileInfo(Path.Combine(dir, "usr/lib64/ld-linux-x86-64.so.2")).LinkTarget);
        Assert.Equal("loader\n", File.ReadAllText(Path.Combine(dir, "usr/lib/x86_64-linux-gnu/ld-tiny.so.2")));
        Assert.Equal("shell\n", File.ReadAllText(Path.Combine(dir, "usr/bin/tinysh")));
        Assert.Equal("data\n", File.ReadAllText(Path.Combine(dir, "usr/share/tiny/data.txt")));
        Assert.Equal((UnixFileMode)0x1ed, File.GetUnixFileMode(Path.Combine(dir, "usr/bin/tinyapp")));
        Assert.Equal((UnixFileMode)0x1a4, File.GetUnixFileMode(Path.Combine(dir, "usr/lib/x86_64-linux-gnu/libtiny.so.1.2")));
        Assert.False(File.Exists(Path.Combine(dir, "dev/null-ish")));
        Assert.Equal("#!/bin/sh\necho tiny\n", File.ReadAllText(Path.Combine(dir, "usr/bin/tinyapp-again")));

        // The loader resolves inside the root through /lib64 -> usr/lib64 and the absolute link /lib/... -> usr/lib/...
        var files = new HostFiles(dir);
        Assert.Equal("/usr/lib/x86_64-linux-gnu/ld-tiny.so.2", files.Resolve("/lib64/ld-linux-x86-64.so.2")!.Value.RealPath);

        Assert.Equal(["libtiny1", "tiny-data-files", "tinyapp"], root.Packages.Select(p => p.Package.Name));
        Assert.Contains("/usr/bin/tinysh", root.Packages[2].Files);
        Assert.Equal("tinyapp", root.Packages[2].Control["Package"]);
        Assert.Equal(0, progress[^1].PackagesLeft);
        Assert.Equal(packageLock.TotalSize, progress.Max(p => p.BytesDone));

        // Warm: the same directory, and no request reaches the mirror.
        var requests = archive.Server.Requests.Count;
        var again = await PackageRoot.MaterializeAsync(packageLock, archive.Options, CancellationToken.None);
        Assert.Equal(dir, again.Directory);
        Assert.Equal(requests, archive.Server.Requests.Count);
    }

    [Fact]
    public async Task Index_is_fetched_by_hash_and_an_archive_opens_offline_from_the_cache()
    {
        using var archive = new LoopbackArchive();
        var online = await archive.OpenAsync();
        Assert.Contains(archive.Server.Requests, r => r.Contains("/by-hash/SHA256/", StringComparison.Ordinal));
        archive.Server.Dispose();

        var offline = await archive.OpenAsync();

        Assert.True(offline.FromCache);
        Assert.Equal(online.ReleaseSha256, offline.ReleaseSha256);
        Assert.Equal(online.Resolve(["tinyapp"]), offline.Resolve(["tinyapp"]));
    }

    [Fact]
    public async Task A_mirror_that_is_down_is_one_line_naming_it()
    {
        using var archive = new LoopbackArchive();
        archive.Server.Dispose();

        var e = await Assert.ThrowsAsync<TinyImageException>(() => archive.OpenAsync());

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(archive.Server.Uri.ToString(), e.Message);
        Assert.Contains("unreachable", e.Message);
    }

    [Fact]
    public async Task InRelease_with_a_broken_signature_is_refused_and_nothing_is_cached()
    {
        using var archive = new LoopbackArchive();
        var inRelease = File.ReadAllText(Path.Combine(archive.Mirror.Root, "dists", LoopbackArchive.Suite, "InRelease"));
        archive.Server.Overrides[$"dists/{LoopbackArchive.Suite}/InRelease"] = Encoding.UTF8.GetBytes(inRelease.Replace("Label: TinyImage test", "Label: TinyImage tesT"));

        var e = await Assert.ThrowsAsync<TinyImageException>(() => archive.OpenAsync());

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("BAD signature", e.Message);
        Assert.Empty(CachedFiles(archive));
    }

    [Fact]
    public async Task InRelease_signed_by_another_key_is_refused()
    {
        using var archive = new LoopbackArchive();
        var release = File.ReadAllText(Path.Combine(archive.Mirror.Root, "dists", LoopbackArchive.Suite, "Release"));
        archive.Server.Overrides[$"dists/{LoopbackArchive.Suite}/InRelease"] = new TestSigningKey().SignCleartext(release);

        var e = await Assert.ThrowsAsync<TinyImageException>(() => archive.OpenAsync());

        Assert.Contains("no signature by a key of", e.Message);
        Assert.Empty(CachedFiles(archive));
    }

    [Fact]
    public async Task Packages_whose_hash_does_not_match_Release_is_refused_and_nothing_is_cached()
    {
        using var archive = new LoopbackArchive();
        // Same size, one byte changed, at the plain path and at its by-hash path.
        foreach (var relative in Directory.EnumerateFiles(Path.Combine(archive.Mirror.Root, "dists"), "*", SearchOption.AllDirectories)
                     .Select(p => Path.GetRelativePath(archive.Mirror.Root, p)).Where(p => !p.EndsWith("Release", StringComparison.Ordinal)))
        {
            var bytes = File.ReadAllBytes(Path.Combine(archive.Mirror.Root, relative));
            bytes[bytes.Length / 2] ^= 1;
            archive.Server.Overrides[relative] = bytes;
        }

        var e = await Assert.ThrowsAsync<TinyImageException>(() => archive.OpenAsync());

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("does not match its signed hash", e.Message);
        Assert.DoesNotContain(CachedFiles(archive), f => f.StartsWith("/indexes/", StringComparison.Ordinal) || f.StartsWith("/tmp/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deb_whose_bytes_do_not_match_the_lock_is_refused_and_not_cached()
    {
        using var archive = new LoopbackArchive();
        var packageLock = (await archive.OpenAsync()).Resolve(["tinyapp"]);
        var app = packageLock.Packages.Single(p => p.Name == "tinyapp");
        var bytes = File.ReadAllBytes(Path.Combine(archive.Mirror.Root, app.Filename));
        bytes[^3] ^= 0x55;
        archive.Server.Overrides[app.Filename] = bytes;

        var e = await Assert.ThrowsAsync<TinyImageException>(() => PackageRoot.MaterializeAsync(packageLock, archive.Options, CancellationToken.None));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("tinyapp 2.0-1", e.Message);
        Assert.Contains("does not match its signed hash", e.Message);
        Assert.DoesNotContain(CachedFiles(archive), f => f.Contains(app.Sha256, StringComparison.Ordinal));
        Assert.DoesNotContain(CachedFiles(archive), f => f.StartsWith("/tmp/", StringComparison.Ordinal));
        Assert.DoesNotContain(CachedFiles(archive), f => f.StartsWith("/roots/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_locked_deb_gone_from_the_mirror_and_the_cache_is_one_line()
    {
        using var archive = new LoopbackArchive();
        var packageLock = (await archive.OpenAsync()).Resolve(["tinyapp"]);
        var app = packageLock.Packages.Single(p => p.Name == "tinyapp");
        archive.Server.Overrides[app.Filename] = null;

        var e = await Assert.ThrowsAsync<TinyImageException>(() => PackageRoot.MaterializeAsync(packageLock, archive.Options, CancellationToken.None));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("no longer has " + app.Filename, e.Message);
        Assert.Contains("tinyrun lock", e.Message);
    }

    [Fact]
    public async Task A_build_from_a_lock_uses_exactly_its_files_and_works_offline_once_cached()
    {
        using var archive = new LoopbackArchive();
        var packageLock = (await archive.OpenAsync()).Resolve(["tinyapp"]);
        var lockPath = Path.Combine(archive.Temp, "app.tiny.lock");
        new PackageLockFile([packageLock]).Write(lockPath);
        var first = await PackageRoot.MaterializeAsync(PackageLockFile.Read(lockPath).Locks[0], archive.Options, CancellationToken.None);
        archive.Server.Dispose();
        PackageFetcher.TryDeleteDirectory(first.Directory);

        var second = await PackageRoot.MaterializeAsync(PackageLockFile.Read(lockPath).Locks[0], archive.Options, CancellationToken.None);

        Assert.Equal(first.Directory, second.Directory);
        Assert.True(File.Exists(Path.Combine(second.Directory, "usr/bin/tinyapp")));
    }

    [Fact]
    public async Task IsCurrent_tells_whether_the_lock_would_change()
    {
        using var archive = new LoopbackArchive();
        var opened = await archive.OpenAsync();
        var packageLock = opened.Resolve(["tinyapp"]);
        Assert.True(opened.IsCurrent(packageLock));

        var stale = packageLock with { Packages = packageLock.Packages.Select(p => p.Name == "libtiny1" ? p with { Version = "1.1-1" } : p).ToList() };
        Assert.False(opened.IsCurrent(stale));
    }

    [Fact]
    public async Task A_request_means_the_same_whatever_the_machines_sources_list_and_finds_its_lock()
    {
        using var archive = new LoopbackArchive();
        var sources = Path.Combine(archive.Options.AptDirectory, "sources.list.d", "test.sources");
        File.WriteAllText(sources, File.ReadAllText(sources).Replace("Components: main", "Components: main contrib non-free"));
        var opened = await archive.OpenAsync();
        var request = new PackageRequest(LoopbackArchive.Suite, "amd64", ["main"], ["tinyapp"], false);

        var packageLock = opened.Resolve(request);

        Assert.Equal(["main"], opened.Components);
        Assert.Equal(packageLock, new PackageLockFile([packageLock]).Find(request));
        Assert.Throws<TinyImageException>(() => opened.Resolve(request with { Architecture = "arm64" }));
    }

    [Fact]
    public async Task An_expired_Release_file_is_refused()
    {
        using var archive = new LoopbackArchive();
        archive.Mirror.Publish(validUntil: DateTimeOffset.UtcNow.AddDays(-1));

        var e = await Assert.ThrowsAsync<TinyImageException>(() => archive.OpenAsync());

        Assert.Contains("expired", e.Message);
    }

    [Fact]
    public async Task Unknown_package_and_unsatisfiable_dependency_name_what_is_missing()
    {
        using var archive = new LoopbackArchive(mirror =>
        {
            LoopbackArchive.AddStandardPackages(mirror);
            mirror.Add(TestDeb.Control("needs-new", "1.0", extra: "Depends: libtiny1 (>= 9)"), [new("./usr/share/x", Content: "x")]);
        });
        var opened = await archive.OpenAsync();

        var unknown = Assert.Throws<TinyImageException>(() => opened.Resolve(["no-such-package"]));
        var unsatisfiable = Assert.Throws<TinyImageException>(() => opened.Resolve(["needs-new"]));

        Assert.Contains("'no-such-package'", unknown.Message);
        Assert.Contains("libtiny1 (>= 9)", unsatisfiable.Message);
        Assert.Contains("libtiny1 1.2-1", unsatisfiable.Message);
    }

    [Fact]
    public async Task Temporaries_that_interrupted_runs_left_are_removed_after_a_day()
    {
        using var archive = new LoopbackArchive();
        var tmp = Path.Combine(archive.Options.CacheDirectory, "tmp");
        Directory.CreateDirectory(Path.Combine(tmp, ".root.old"));
        File.WriteAllText(Path.Combine(tmp, ".x.deb.old"), "half");
        File.WriteAllText(Path.Combine(tmp, ".y.deb.running"), "half");
        Directory.SetLastWriteTimeUtc(Path.Combine(tmp, ".root.old"), DateTime.UtcNow.AddDays(-2));
        File.SetLastWriteTimeUtc(Path.Combine(tmp, ".x.deb.old"), DateTime.UtcNow.AddDays(-2));

        await archive.OpenAsync();

        Assert.Equal([".y.deb.running"], Directory.GetFileSystemEntries(tmp).Select(Path.GetFileName));
    }

    private static List<string> CachedFiles(LoopbackArchive archive) =>
        Directory.Exists(archive.Options.CacheDirectory)
            ? Directory.EnumerateFileSystemEntries(archive.Options.CacheDirectory, "*", SearchOption.AllDirectories)
                .Where(File.Exists).Select(p => "/" + Path.GetRelativePath(archive.Options.CacheDirectory, p)).ToList()
            : [];

    /// <summary>IProgress that calls back on the reporting thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<PackageDownloadProgress> report) : IProgress<PackageDownloadProgress>
    {
        private readonly Lock _lock = new();

        public void Report(PackageDownloadProgress value)
        {
            lock (_lock) report(value);
        }
    }
}
