using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Unit;

/// <summary>Issue 12, point 4: the build and inspect name the largest files and what pulled each in.</summary>
public sealed class LargestFilesTests
{
    private static FileEntry File(string path, int size, Provenance provenance) =>
        FileEntry.Inline(path, new byte[size], 0x1A4, "") with { Provenance = provenance };

    [Fact]
    public void A_library_names_the_chain_of_objects_that_needed_it_up_to_the_recipe_step_through_the_images_links()
    {
        var origin = new SourceLocation("/src/pg.tiny.csx", 4);
        var entries = new List<FileEntry>
        {
            FileEntry.Link("/lib", "usr/lib", "merged /usr"),
            File("/opt/app/plugin.so", 100, Provenance.Of("AddDirectory", origin)),
            File("/usr/lib/libmid.so", 300, new Provenance { Need = new ElfNeed("libmid.so", "/opt/app/plugin.so", SearchRule.RunPath, "RUNPATH /usr/lib") }),
            File("/usr/lib/libbig.so", 5000, new Provenance { Need = new ElfNeed("libbig.so", "/lib/libmid.so", SearchRule.DefaultPath, "default path /lib") }),
            File("/etc/small", 1, Provenance.Note("a note")),
        };

        var largest = LargestFiles.Of(entries, 3);

        Assert.Equal(
        [
            new LargeFile("/usr/lib/libbig.so", 5000, "needed by /lib/libmid.so, needed by /opt/app/plugin.so, added by AddDirectory at pg.tiny.csx(4)"),
            new LargeFile("/usr/lib/libmid.so", 300, "needed by /opt/app/plugin.so, added by AddDirectory at pg.tiny.csx(4)"),
            new LargeFile("/opt/app/plugin.so", 100, "added by AddDirectory at pg.tiny.csx(4)"),
        ], largest);
    }

    [Fact]
    public void A_chain_that_loops_or_leaves_the_image_stops_where_it_does()
    {
        var entries = new List<FileEntry>
        {
            File("/a.so", 20, new Provenance { Need = new ElfNeed("a.so", "/b.so", SearchRule.DefaultPath, "default path /") }),
            File("/b.so", 10, new Provenance { Need = new ElfNeed("b.so", "/a.so", SearchRule.DefaultPath, "default path /") }),
            File("/c.so", 5, new Provenance { Need = new ElfNeed("c.so", "/not/in/image", SearchRule.DefaultPath, "default path /") }),
        };

        Assert.Equal(["needed by /b.so, needed by /a.so", "needed by /a.so, needed by /b.so", "needed by /not/in/image"],
            LargestFiles.Of(entries, 5).Select(f => f.Why));
    }

    [Fact]
    public void The_build_and_inspect_name_the_largest_files_and_why_they_are_there()
    {
        using var dir = new TempDirectory();
        dir.Write("ls.tiny.csx", "From.Scratch()\n    .AddBinary(\"/usr/bin/ls\")\n    .WithLibs();\n");

        var build = Run.Tinyrun(dir.Path, "ls.tiny.csx", "--no-sbom");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("/usr/lib/x86_64-linux-gnu/libc.so.6  (needed by /usr/bin/ls, added by AddBinary at ls.tiny.csx(2))", build.Stderr);

        var inspect = Run.Tinyrun(dir.Path, "inspect", "out/ls.tar", "--no-files");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("largest:\n", inspect.Stdout);
        Assert.Contains("/usr/lib/x86_64-linux-gnu/libc.so.6  (libc.so.6, needed by /usr/bin/ls, found in", inspect.Stdout);
    }
}
