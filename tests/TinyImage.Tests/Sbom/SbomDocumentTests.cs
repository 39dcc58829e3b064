using System.Text;
using System.Text.Json;
using TinyImage.Core.Sbom;

namespace TinyImage.Tests.Sbom;

/// <summary>The parts of the SBOM that need no image: purls, licenses from Debian copyright files, and the schema check itself.</summary>
public sealed class SbomDocumentTests
{
    [Fact]
    public void A_purl_names_the_package_version_architecture_and_distro_and_puts_an_epoch_in_its_qualifier()
    {
        Assert.Equal("pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12",
            new SbomPackage("libc6", "2.36-9+deb12u14", "amd64", "glibc", null, "debian-12").Purl);
        Assert.Equal("pkg:deb/debian/libgmp10@6.2.1+dfsg1-1.1?arch=arm64&distro=debian-12&epoch=2",
            new SbomPackage("libgmp10", "2:6.2.1+dfsg1-1.1", "arm64", null, null, "debian-12").Purl);
        Assert.Equal("pkg:deb/debian/hello@2.10-3?arch=amd64", new SbomPackage("hello", "2.10-3", "amd64", null, null, null).Purl);
        Assert.Equal("glibc", new SbomPackage("libc6", "2.36-9", "amd64", "glibc (2.36-9)", null, null).SourceName);
    }

    [Fact]
    public void A_machine_readable_copyright_file_gives_its_licenses_as_one_SPDX_expression()
    {
        const string dep5 = """
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
            Upstream-Name: example

            Files: *
            Copyright: 2020 Someone
            License: GPL-2+ or Artistic

            Files: lib/*
            License: Expat and BSD-3-clause

            Files: m4/*
            License: GPL-3+ with Autoconf exception

            Files: other/*
            License: Expat

            License: GPL-2+
             This program is free software.
            """;
        Assert.Equal("(GPL-2.0-or-later OR Artistic-1.0-Perl) AND MIT AND BSD-3-Clause AND LicenseRef-GPL-3-or-later-with-Autoconf-exception AND GPL-2.0-or-later",
            DebianCopyright.License(dep5));
    }

    [Fact]
    public void A_free_form_copyright_file_gives_no_assertion()
    {
        Assert.Null(DebianCopyright.License("This is the Debian prepackaged version of the GNU C Library.\n\nLicense: LGPL-2.1\n"));
        Assert.Null(DebianCopyright.License(""));
    }

    [Fact]
    public void The_CycloneDX_schema_check_rejects_what_breaks_the_schema()
    {
        var document = new SbomDocument("x:1", "x", "sha256:" + new string('a', 64), "amd64", DateTimeOffset.UnixEpoch)
        {
            Packages = [new SbomPackage("libc6", "2.36-9", "amd64", null, "LGPL-2.1-or-later", "debian-12")],
        };
        var valid = CycloneDxWriter.Write(document);
        Assert.Empty(CycloneDxSchema.Errors(valid));

        var text = Encoding.UTF8.GetString(valid);
        Assert.NotEmpty(CycloneDxSchema.Errors(Encoding.UTF8.GetBytes(text.Replace("\"type\": \"library\"", "\"type\": \"shared-object\"", StringComparison.Ordinal))));
        Assert.NotEmpty(CycloneDxSchema.Errors(Encoding.UTF8.GetBytes(text.Replace("\"urn:uuid:", "\"uuid:", StringComparison.Ordinal))));
        Assert.StartsWith("urn:uuid:", JsonDocument.Parse(valid).RootElement.GetProperty("serialNumber").GetString());
    }
}
