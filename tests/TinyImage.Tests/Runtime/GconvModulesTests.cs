using TinyImage.Core.Build;

namespace TinyImage.Tests.Runtime;

public sealed class GconvModulesTests
{
    private const string Directory = "/usr/lib/x86_64-linux-gnu/gconv";

    private static readonly string[] Config =
    [
        "# comment",
        "alias\tISO8859-15//\t\tISO-8859-15//",
        "alias\tLATIN-9//\t\tISO-8859-15//   # trailing comment",
        "module\tISO-8859-15//\t\tINTERNAL\t\tISO8859-15\t1",
        "module\tINTERNAL\t\tISO-8859-15//\t\tISO8859-15\t1",
        "alias\tEUCJP//\t\t\tEUC-JP//",
        "module\tEUC-JP//\t\tINTERNAL\t\tEUC-JP\t\t1",
        "module\tINTERNAL\t\tEUC-JP//\t\t/opt/gconv/EUC-JP.so\t1",
    ];

    private static readonly GconvModules Modules = GconvModules.Parse(Config, Directory);

    [Theory]
    [InlineData("ISO-8859-15")]
    [InlineData("iso-8859-15")]
    [InlineData("ISO8859-15")]
    [InlineData("latin-9")]
    [InlineData("ISO-8859-15//TRANSLIT")]
    public void A_charset_maps_to_its_module_through_aliases_and_normalization(string name) =>
        Assert.Equal([Directory + "/ISO8859-15.so"], Modules.ModulesFor(name));

    [Fact]
    public void Both_directions_are_collected_and_absolute_module_paths_are_kept() =>
        Assert.Equal(["/opt/gconv/EUC-JP.so", Directory + "/EUC-JP.so"], Modules.ModulesFor("eucjp"));

    [Theory]
    [InlineData("UTF-8")]
    [InlineData("utf8")]
    [InlineData("ASCII")]
    [InlineData("US-ASCII//TRANSLIT")]
    [InlineData("WCHAR_T")]
    [InlineData("UCS-4LE")]
    public void Sets_built_into_libc_need_no_module(string name) => Assert.Empty(Modules.ModulesFor(name)!);

    [Fact]
    public void An_unknown_charset_is_null() => Assert.Null(Modules.ModulesFor("NOT-A-CHARSET"));

    [Theory]
    [InlineData("iso-8859-15//TRANSLIT", "ISO-8859-15//")]
    [InlineData("ISO-10646/UTF8/", "ISO-10646/UTF8/")]
    [InlineData("utf 8!", "UTF8//")]
    public void Names_are_normalized_as_iconv_open_does(string name, string expected) =>
        Assert.Equal(expected, GconvModules.Normalize(name));

    [Fact]
    public void The_host_configuration_maps_ISO_8859_15_to_an_existing_module()
    {
        var modules = GconvModules.Read(Directory, Directory).ModulesFor("ISO-8859-15");
        Assert.Equal([Directory + "/ISO8859-15.so"], modules);
        Assert.True(File.Exists(modules![0]), "glibc's gconv modules are missing: apt-get install libc6");
        // gconv-modules.d/gconv-modules-extra.conf is read too.
        Assert.Equal([Directory + "/EUC-JP.so"], GconvModules.Read(Directory, Directory).ModulesFor("EUC-JP"));
    }
}
