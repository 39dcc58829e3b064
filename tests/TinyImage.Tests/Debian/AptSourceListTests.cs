using TinyImage.Core;
using TinyImage.Core.Debian;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

public sealed class AptSourceListTests
{
    [Fact]
    public void Reads_deb822_and_one_line_sources_skipping_disabled_files_deb_src_and_enabled_no()
    {
        using var dir = new TempDirectory();
        dir.Write("apt/sources.list", "# comment\ndeb-src http://src.invalid/debian bookworm main\ndeb [arch=amd64 signed-by=/k/one.gpg] http://one.invalid/debian bookworm main contrib # trailing\n");
        dir.Write("apt/sources.list.d/a.sources",
            "Types: deb deb-src\nURIs: http://two.invalid/debian\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /k/two.gpg\n\n" +
            "Types: deb\nURIs: http://off.invalid/debian\nSuites: sid\nEnabled: no\n\n" +
            "Types: deb-src\nURIs: http://srconly.invalid/debian\nSuites: forky\n");
        dir.Write("apt/sources.list.d/b.list.disabled-by-someone", "deb http://disabled.invalid/debian sid main\n");
        dir.Write("apt/sources.list.d/c.list", "deb [ signed-by=/k/three.gpg ] http://three.invalid/debian sid main\n");

        var list = AptSourceList.Read(dir.Combine("apt"));

        Assert.Equal(["http://one.invalid/debian", "http://two.invalid/debian", "http://three.invalid/debian"], list.Sources.Select(s => s.Uris[0].ToString()));
        Assert.Equal(["/k/one.gpg"], list.Find("bookworm")!.SignedBy);
        Assert.Equal(["main", "contrib"], list.Find("bookworm")!.Components);
        Assert.Equal("http://two.invalid/debian", list.Find("trixie-updates")!.Uris[0].ToString());
        Assert.Equal("http://three.invalid/debian", list.Find("sid")!.Uris[0].ToString());
        Assert.Null(list.Find("forky"));
        Assert.EndsWith("a.sources(1)", list.Find("trixie")!.Location);
    }

    [Fact]
    public void An_inline_key_block_is_kept_with_its_empty_lines()
    {
        using var dir = new TempDirectory();
        dir.Write("apt/sources.list.d/k.sources",
            "Types: deb\nURIs: http://k.invalid/debian\nSuites: bookworm\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n");

        var signedBy = AptSourceList.Read(dir.Combine("apt")).Find("bookworm")!.SignedBy;

        Assert.Equal("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n", Assert.Single(signedBy));
    }

    [Fact]
    public void A_malformed_line_names_its_file_and_line()
    {
        using var dir = new TempDirectory();
        dir.Write("apt/sources.list", "\ndeb http://x.invalid/debian\n");
        var e = Assert.Throws<TinyImageException>(() => AptSourceList.Read(dir.Combine("apt")));
        Assert.Contains("sources.list(2)", e.Message);
    }

    [Fact]
    public void The_machines_configuration_reads()
    {
        // Whatever this machine has: it must parse, and a suite it names must come with a URI.
        var list = AptSourceList.Read();
        foreach (var source in list.Sources) Assert.NotEmpty(source.Uris);
    }
}
