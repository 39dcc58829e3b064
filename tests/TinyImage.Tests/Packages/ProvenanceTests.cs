using TinyImage.Core.Build;
using TinyImage.Core.Debian;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Packages;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Packages;

/// <summary>
/// Issue 11, point 1 and 2: each file carries its provenance as data (step and recipe line, the ELF link that needed it,
/// its package) and the same line as before in words; packages come from the dpkg database of a host or directory root,
/// from the packages themselves for a root of Debian packages, and a recipe's own file is the application's.
/// </summary>
public sealed class ProvenanceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private FileTree AssembleOnHost(Func<ImageBuilder, ImageBuilder> steps)
    {
        var image = steps(new Recipe(_dir.Combine("r.tiny.csx")).From.Scratch());
        var root = new HostFiles("/");
        var tree = new TreeAssembler(new ResolverOptions { Files = root }).Assemble(image.Spec).Tree;
        PackageMetadata.Attribute(tree, root, packages: null);
        return tree;
    }

    [Fact]
    public void A_host_file_has_its_step_recipe_line_package_and_the_chain_that_needed_it()
    {
        var tree = AssembleOnHost(i => i.AddBinary("/bin/bash").WithLibs());

        var bash = tree.Find("/usr/bin/bash")!.Provenance;
        Assert.Equal(("AddBinary", "bash", ScannerTests.DpkgVersion("bash")), (bash.Step, bash.Package?.Name, bash.Package?.Version));
        Assert.NotNull(bash.Origin); // the DSL call's line
        Assert.Equal($"AddBinary at {Path.GetFileName(bash.Origin.Value.File)}({bash.Origin.Value.Line})", bash.Describe());

        var tinfo = tree.Entries().Single(e => e.Kind == EntryKind.File && e.Path.Contains("/libtinfo.so.6", StringComparison.Ordinal)).Provenance;
        Assert.Equal(new ElfNeed("libtinfo.so.6", "/bin/bash", SearchRule.DefaultPath, tinfo.Need!.FoundIn), tinfo.Need);
        Assert.StartsWith("default path /", tinfo.Need.FoundIn);
        Assert.Equal("WithLibs", tinfo.Step);
        Assert.Equal("libtinfo6", tinfo.Package?.Name);
        Assert.Equal(ScannerTests.DpkgVersion("libtinfo6"), tinfo.Package?.Version);
        Assert.Equal($"libtinfo.so.6, needed by /bin/bash, found in {tinfo.Need.FoundIn}", tinfo.Describe()); // the words as before

        var loader = tree.Entries().Single(e => e.Kind == EntryKind.File && e.Path.EndsWith("/ld-linux-x86-64.so.2", StringComparison.Ordinal)).Provenance;
        Assert.Equal(SearchRule.Interpreter, loader.Need?.Rule);
        Assert.Equal("ELF interpreter of /bin/bash", loader.Describe());
        Assert.Equal("libc6", loader.Package?.Name);
    }

    [Fact]
    public void A_file_from_the_recipe_directory_is_the_applications_even_at_a_path_a_package_lists()
    {
        _dir.Write("own.txt", "mine");
        var tree = AssembleOnHost(i => i.AddBinary("/bin/ls").WithLibs().AddFile("own.txt", "/usr/bin/cat"));

        var own = tree.Find("/usr/bin/cat")!.Provenance;
        Assert.True(own.FromRecipe);
        Assert.Null(own.Package);
        Assert.Equal("AddFile", own.Step);
        Assert.False(tree.Find("/usr/bin/ls")!.Provenance.FromRecipe);
        Assert.Equal("coreutils", tree.Find("/usr/bin/ls")!.Provenance.Package?.Name);
    }

    [Fact]
    public void A_root_of_Debian_packages_names_the_package_each_file_came_from_without_a_dpkg_database()
    {
        // A root laid out as PackageRoot makes it: merged /usr, no var/lib/dpkg, the packages known from their .debs.
        var root = _dir.Combine("root");
        _dir.Write("root/usr/bin/hello", "#!/bin/sh\n");
        _dir.Write("root/usr/share/doc/hello/copyright", "c");
        Directory.CreateSymbolicLink(Path.Combine(root, "bin"), "usr/bin");
        var control = ControlStanza.ReadAll("Package: hello\nVersion: 2.10-3\nArchitecture: amd64\nSource: hello-src (2.10)\nDescription: hi\n", "control").Single();
        var packages = new[]
        {
            new Core.Debian.InstalledPackage(new LockedPackage("hello", "2.10-3", "amd64", 1, new string('0', 64), "pool/h.deb"), control,
                ["/usr/bin/hello", "/usr/share/doc/hello/copyright"]),
        };
        var files = new HostFiles(root);
        var tree = new FileTree();
        files.AddFile(tree, "/bin/hello", Provenance.Of("AddFile", null));

        var owners = PackageMetadata.Attribute(tree, files, packages);
        Assert.Null(PackageMetadata.Attribute(tree, files, packages: null)); // no dpkg database: nothing without the packages

        var hello = tree.Find("/usr/bin/hello")!.Provenance.Package!;
        Assert.Equal(("hello", "2.10-3", "amd64", "hello-src (2.10)"), (hello.Name, hello.Version, hello.Architecture, hello.Source));
        Assert.Equal("hello", owners!.Owner("/bin/hello")?.Name); // its merged-/usr spelling too

        PackageMetadata.Add(tree, files, owners);
        Assert.Equal(control.ToText(), System.Text.Encoding.UTF8.GetString(tree.Find("/var/lib/dpkg/status.d/hello")!.Content!));
        Assert.EndsWith("  usr/bin/hello\n", System.Text.Encoding.UTF8.GetString(tree.Find("/var/lib/dpkg/status.d/hello.md5sums")!.Content!));
    }
}
