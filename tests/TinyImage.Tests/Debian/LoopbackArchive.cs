using System.Formats.Tar;
using TinyImage.Core.Debian;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

/// <summary>
/// A test mirror with a few small packages, served on 127.0.0.1, with an apt configuration naming it and an empty
/// cache: everything a Debian test needs without the real mirror.
/// </summary>
public sealed class LoopbackArchive : IDisposable
{
    public const string Suite = "tinytest";

    private readonly TempDirectory _temp = new();

    public LoopbackArchive(Action<TestMirror>? populate = null)
    {
        Mirror = new TestMirror(_temp.Combine("mirror"), new TestSigningKey(), Suite);
        (populate ?? AddStandardPackages)(Mirror);
        Mirror.Publish();
        Server = new LoopbackServer(Mirror.Root);
        Options = new DebianOptions
        {
            AptDirectory = Mirror.WriteAptConfiguration(_temp.Combine("etc-apt"), Server.Uri),
            CacheDirectory = _temp.Combine("cache"),
        };
    }

    public TestMirror Mirror { get; }
    public LoopbackServer Server { get; }
    public DebianOptions Options { get; }
    public string Temp => _temp.Path;

    public Task<DebianArchive> OpenAsync(DebianOptions? options = null) =>
        DebianArchive.OpenAsync(Suite, "amd64", options ?? Options, CancellationToken.None);

    /// <summary>
    /// tinyapp depends on libtiny1 (versioned) and on a virtual tiny-data; libtiny1 ships files under /lib and
    /// /lib64 (merged /usr); tinyapp recommends tiny-extra; old-libtiny1 is an older version to be passed over.
    /// </summary>
    public static void AddStandardPackages(TestMirror mirror)
    {
        mirror.Add(TestDeb.Control("libtiny1", "1.2-1", extra: "Multi-Arch: same\nPriority: optional"),
        [
            new("./", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./lib/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./lib/x86_64-linux-gnu/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./lib/x86_64-linux-gnu/ld-tiny.so.2", Content: "loader\n", Mode: (UnixFileMode)0x1ed),
            new("./lib64/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./lib64/ld-linux-x86-64.so.2", TarEntryType.SymbolicLink, LinkName: "/lib/x86_64-linux-gnu/ld-tiny.so.2"),
            new("./usr/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./usr/lib/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./usr/lib/x86_64-linux-gnu/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
            new("./usr/lib/x86_64-linux-gnu/libtiny.so.1.2", Content: "library 1.2\n"),
            new("./usr/lib/x86_64-linux-gnu/libtiny.so.1", TarEntryType.SymbolicLink, LinkName: "libtiny.so.1.2"),
        ]);
        mirror.Add(TestDeb.Control("libtiny1", "1.1-1", architecture: "i386"), [new("./usr/share/wrong-architecture", Content: "x")]);
        mirror.Add(TestDeb.Control("tiny-data-files", "3.0", architecture: "all", extra: "Provides: tiny-data (= 3.0)"),
            [new("./usr/share/tiny/data.txt", Content: "data\n")], compression: "zst");
        mirror.Add(TestDeb.Control("tiny-extra", "1.0", extra: "Depends: libtiny1"), [new("./usr/share/tiny/extra.txt", Content: "extra\n")], compression: "");
        mirror.Add(TestDeb.Control("tiny-essential", "1.0", extra: "Essential: yes\nPriority: required"), [new("./usr/share/essential.txt", Content: "e\n")]);
        mirror.Add(TestDeb.Control("tinyapp", "2.0-1",
            extra: "Pre-Depends: libtiny1 (>= 1.2)\nDepends: missing-thing | tiny-data (>= 2), libtiny1:any | libtiny1\nRecommends: tiny-extra"),
        [
            new("./usr/bin/tinyapp", Content: "#!/bin/sh\necho tiny\n", Mode: (UnixFileMode)0x1ed),
            new("./usr/bin/tinyapp-again", TarEntryType.HardLink, LinkName: "./usr/bin/tinyapp"),
            new("./bin/tinysh", Content: "shell\n", Mode: (UnixFileMode)0x1ed),
            new("./dev/null-ish", TarEntryType.CharacterDevice),
        ]);
    }

    public void Dispose()
    {
        Server.Dispose();
        _temp.Dispose();
    }
}
