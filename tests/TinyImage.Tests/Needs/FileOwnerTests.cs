using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.Spec;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;
using TinyImage.Tests.Layers;

namespace TinyImage.Tests.Needs;

/// <summary>
/// <c>owner:</c> of MkDir, AddFile, AddDirectory and AddText: names resolved against the account files the image ends up
/// with, numbers taken as they are, the result in the layer's tar headers; an unknown name is one line naming the fix.
/// </summary>
public sealed class FileOwnerTests
{
    private const string RecipePath = "/tmp/owners/recipe.tiny.csx";

    private static ImageBuilder Scratch() => new Recipe(RecipePath).From.Scratch(RecipePath, 1);

    private static TreeAssembler Assembler() => new(new ResolverOptions());

    [Fact]
    public async Task Owners_land_in_the_layer_headers_as_numbers_without_names()
    {
        using var dir = new TempDirectory();
        dir.Write("web/index.html", "<p>hi</p>");
        dir.Write("web/css/a.css", "p {}");
        File.CreateSymbolicLink(dir.Combine("web/latest"), "index.html");
        var data = dir.Write("data.txt", "data");
        var spec = Scratch()
            .MkDir("/var/lib/app", 700, owner: "www")
            .AddText("/etc/app.conf", "x", owner: "www:www")
            .AddFile(data, "/srv/data", owner: "1000:2000")
            .AddDirectory(dir.Combine("web"), "/srv/web", owner: "nobody")
            .AddText("/etc/plain", "y")
            .WithUser("www", 1000)
            .WithPasswd()
            .Spec;

        var output = dir.Combine("owners.tar");
        await new ImagePipeline(new ImagePipelineOptions()).BuildAsync(spec, ImageReference.Parse("owners:1"), output, CancellationToken.None);

        var headers = LayerHeaders(output);
        Assert.Equal((1000, 1000), headers["var/lib/app/"].Owner);
        Assert.Equal((1000, 1000), headers["etc/app.conf"].Owner);
        Assert.Equal((1000, 2000), headers["srv/data"].Owner);
        foreach (var path in new[] { "srv/web/", "srv/web/index.html", "srv/web/css/", "srv/web/css/a.css", "srv/web/latest" })
            Assert.True(headers[path].Owner == (65534, 65534), $"{path}: {headers[path].Owner}");
        foreach (var path in new[] { "etc/plain", "srv/", "var/", "var/lib/", "etc/passwd" })
            Assert.True(headers[path].Owner == (0, 0), $"{path}: {headers[path].Owner}");
        // Numbers only: the image's names are its own /etc/passwd's business, and the layer stays the same wherever it is built.
        Assert.All(headers.Values, h => Assert.Equal(("", ""), h.Names));
    }

    [Fact]
    public void An_owner_named_before_its_user_is_added_is_found_and_a_later_step_replacing_the_entry_keeps_its_own()
    {
        var tree = Assembler().Assemble(Scratch()
            .MkDir("/data", owner: "app")
            .AddText("/etc/replaced", "first", owner: "app")
            .AddText("/etc/replaced", "second")
            .MkDir("/twice", owner: "app")
            .MkDir("/twice", owner: "0:app")
            .WithUser("app", 1000, 1001)
            .Spec).Tree;
        Assert.Equal((1000, 1001), (tree.Find("/data")!.Uid, tree.Find("/data")!.Gid));
        Assert.Equal((0, 0), (tree.Find("/etc/replaced")!.Uid, tree.Find("/etc/replaced")!.Gid));
        Assert.Equal((0, 1001), (tree.Find("/twice")!.Uid, tree.Find("/twice")!.Gid));
        // A user given by number alone gets the same number as group, as Docker's COPY --chown does.
        var numbers = Assembler().Assemble(Scratch().MkDir("/n", owner: "4242").Spec).Tree.Find("/n")!;
        Assert.Equal((4242, 4242), (numbers.Uid, numbers.Gid));
    }

    [Fact]
    public void Owners_are_found_in_a_passwd_and_group_the_recipe_writes_itself()
    {
        var tree = Assembler().Assemble(Scratch()
            .AddText("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n# a comment\nnginx:x:101:102:nginx:/nonexistent:/usr/sbin/nologin\n")
            .AddText("/etc/group", "root:x:0:\nwww-data:x:33:\n")
            .MkDir("/var/cache/nginx", owner: "nginx:www-data")
            .MkDir("/var/log/nginx", owner: "nginx")
            .Spec).Tree;
        Assert.Equal((101, 33), (tree.Find("/var/cache/nginx")!.Uid, tree.Find("/var/cache/nginx")!.Gid));
        Assert.Equal((101, 102), (tree.Find("/var/log/nginx")!.Uid, tree.Find("/var/log/nginx")!.Gid));
    }

    [Fact]
    public void An_unknown_user_or_group_is_one_line_naming_the_recipe_line_and_the_fix()
    {
        var user = Assert.Throws<TinyImageException>(() => Assembler().Assemble(Scratch().MkDir("/var/lib/nginx", owner: "www", file: RecipePath, line: 7).Spec));
        Assert.Equal($"{new SourceLocation(RecipePath, 7)}: MkDir(\"/var/lib/nginx\", owner: \"www\"): owner \"www\": the image has no passwd entry for www; " +
                     "add .WithUser(\"www\", UID) (before or after this step) or use numbers, owner: \"UID:GID\"", user.Message);

        using var dir = new TempDirectory();
        dir.Write("certs/a.pem", "x");
        var nobody = Assert.Throws<TinyImageException>(() => Assembler().Assemble(Scratch().AddDirectory(dir.Combine("certs"), "/srv/ssl", owner: "nobody", file: RecipePath, line: 8).Spec));
        Assert.Equal($"{new SourceLocation(RecipePath, 8)}: AddDirectory(\"/srv/ssl\", owner: \"nobody\"): owner \"nobody\": the image has no passwd entry for nobody; " +
                     "add .WithPasswd() (root and nobody) (before or after this step) or use numbers, owner: \"UID:GID\"", nobody.Message);

        var group = Assert.Throws<TinyImageException>(() => Assembler().Assemble(Scratch().WithUser("www", 1000).AddText("/etc/app.conf", "", owner: "www:staff", file: RecipePath, line: 9).Spec));
        Assert.Equal($"{new SourceLocation(RecipePath, 9)}: AddText(\"/etc/app.conf\", owner: \"www:staff\"): owner \"www:staff\": the image has no group entry for staff; " +
                     "add .WithUser(\"staff\", UID) to make one, or use a number, owner: \"www:GID\"", group.Message);
    }

    [Fact]
    public void Tinyrun_prints_an_unknown_owner_as_one_line_at_its_recipe_line_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        dir.Write("app.tiny.csx", "From.Scratch()\n    .AddText(\"/etc/app.conf\", \"x\")\n    .MkDir(\"/var/lib/app\", owner: \"app\")\n    .Tag(\"app:1\");\n");
        var result = Run.Tinyrun(dir.Path, "app.tiny.csx", "--output", dir.Combine("app.tar"));
        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.Equal("tinyrun: app.tiny.csx(3): MkDir(\"/var/lib/app\", owner: \"app\"): owner \"app\": the image has no passwd entry for app; " +
                     "add .WithUser(\"app\", UID) (before or after this step) or use numbers, owner: \"UID:GID\"", error);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(dir.Combine("app.tar")));
    }

    [Theory]
    [InlineData("", "is not USER or USER:GROUP")]
    [InlineData("www:", "is not USER or USER:GROUP")]
    [InlineData("a:b:c", "is not USER or USER:GROUP")]
    [InlineData("Www", "Www is not a user or group name")]
    [InlineData("99999999999", "99999999999 is not a uid or gid")]
    public void A_malformed_owner_is_a_recipe_error_at_its_line(string owner, string expected)
    {
        var error = Assert.Throws<TinyImageException>(() => Scratch().AddFile("/etc/hostname", "/etc/name", owner: owner, file: RecipePath, line: 5));
        Assert.StartsWith($"{new SourceLocation(RecipePath, 5)}: AddFile(\"/etc/name\"): owner \"{owner}\"", error.Message);
        Assert.Contains(expected, error.Message);
    }

    /// <summary>Each layer entry's owner numbers and names, by tar name (directories end in '/').</summary>
    private static Dictionary<string, ((int, int) Owner, (string, string) Names)> LayerHeaders(string archive)
    {
        var members = TarInspection.ReadEntries(File.ReadAllBytes(archive)).ToDictionary(e => e.Entry.Name, e => e.Data);
        var manifest = JsonDocument.Parse(members["manifest.json"]).RootElement[0];
        var headers = new Dictionary<string, ((int, int), (string, string))>();
        foreach (var layer in manifest.GetProperty("Layers").EnumerateArray())
        {
            using var tar = new MemoryStream();
            using (var gunzip = new GZipStream(new MemoryStream(members[layer.GetString()!]), CompressionMode.Decompress)) gunzip.CopyTo(tar);
            foreach (var (entry, _) in TarInspection.ReadEntries(tar.ToArray()))
                headers[entry.Name.TrimStart('.', '/')] = ((entry.Uid, entry.Gid), (((PosixTarEntry)entry).UserName, ((PosixTarEntry)entry).GroupName));
        }
        return headers;
    }
}
