using System.Diagnostics;
using TinyImage.Core.Debian;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

/// <summary>
/// One cache for every test of the real mirror in a run (the Packages index is downloaded once), and bookworm amd64
/// opened once, from the machine's apt sources: no mirror is named in the tests.
/// </summary>
public sealed class DebianMirrorFixture : IDisposable
{
    public const string Suite = "bookworm";

    private readonly TempDirectory _cache = new();
    private readonly Lazy<Task<DebianArchive>> _archive;

    public DebianMirrorFixture()
    {
        Options = new DebianOptions { CacheDirectory = _cache.Combine("debian") };
        _archive = new Lazy<Task<DebianArchive>>(async () =>
        {
            var watch = Stopwatch.StartNew();
            var archive = await DebianArchive.OpenAsync(Suite, "amd64", Options, CancellationToken.None);
            OpenTime = watch.Elapsed;
            return archive;
        });
    }

    public DebianOptions Options { get; }

    public TimeSpan OpenTime { get; private set; }

    public Task<DebianArchive> ArchiveAsync() => _archive.Value;

    public void Dispose() => _cache.Dispose();
}
