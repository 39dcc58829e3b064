using TinyImage.Core.Build;
using TinyImage.Core.Needs;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary><c>tinyrun inspect</c> lists the runtime needs of an image's ELF files, each provided or missing, as <c>deps --needs</c> does.</summary>
public sealed class InspectNeedsTests(NeedsProgram program) : IClassFixture<NeedsProgram>
{
    [Fact]
    public void Inspect_shows_each_need_of_the_images_programs_met_or_not()
    {
        using var dir = new TempDirectory();
        // libz.so.1 is a link in the image: the need is met only when the link is followed to the library.
        dir.Write("app.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().WithPasswd().AddLibrary(\"libz.so.1\").WithGconv(\"ISO-8859-1\").Tag(\"app:1\");\n");
        var build = Run.Tinyrun(dir.Path, "app.tiny.csx", "--output", dir.Combine("app.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());

        var inspect = Run.Tinyrun(dir.Path, "inspect", dir.Combine("app.tar"));
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("""

            runtime needs (read from the ELF files' imports and strings, as deps --needs):
              /app/prog imports getpwnam: needs passwd and group entries; provided
              /app/prog imports getaddrinfo: needs /etc/services, /etc/protocols and nsswitch.conf; missing: add .WithNss()
              /app/prog imports iconv_open: needs iconv's gconv modules; provided
              /app/prog imports popen: needs a shell at /bin/sh; missing: add .AddBinary("/bin/sh") before .WithLibs()
              /app/prog imports dlopen and names libz.so.1: needs libz.so.1; provided
            packages (3, from /var/lib/dpkg/status.d):

            """, inspect.Stdout);

        var brief = Run.Tinyrun(dir.Path, "inspect", dir.Combine("app.tar"), "--no-files");
        Assert.True(brief.ExitCode == 0, brief.ToString());
        Assert.DoesNotContain("runtime needs", brief.Stdout);
    }

    [Fact]
    public void Inspect_of_an_image_without_ELF_files_says_it_has_no_needs()
    {
        using var dir = new TempDirectory();
        dir.Write("text.tiny.csx", "From.Scratch().AddText(\"/hello.txt\", \"hi\").Tag(\"text:1\");\n");
        var build = Run.Tinyrun(dir.Path, "text.tiny.csx", "--output", dir.Combine("text.tar"));
        Assert.True(build.ExitCode == 0, build.ToString());
        var inspect = Run.Tinyrun(dir.Path, "inspect", dir.Combine("text.tar"));
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("\nruntime needs (read from the ELF files' imports and strings, as deps --needs):\n  none beyond the libraries\n", inspect.Stdout);
    }

    [Fact]
    public async Task ELF_files_past_the_bytes_inspect_copies_are_counted_not_read()
    {
        using var dir = new TempDirectory();
        var spec = new Recipe(dir.Combine("app.tiny.csx")).From.Scratch().AddBinary(program.Path, "/app/prog").WithLibs().Spec;
        await new ImagePipeline(new ImagePipelineOptions()).BuildAsync(spec, ImageReference.Parse("app:1"), dir.Combine("app.tar"), CancellationToken.None);
        var image = Assert.Single(ImageArchiveReader.Read(dir.Combine("app.tar")));
        var files = new MergedLayers();
        for (var i = 0; i < image.Layers.Count; i++) files.AddLayer(image.ReadEntries(image.Layers[i]), i + 1);

        var all = ArchiveNeeds.Read(image, files.Files);
        Assert.Equal(0, all.NotRead);
        Assert.Contains(all.Needs, n => n.Need.File == "/app/prog" && n.Need.Symbol == "getpwnam" && !n.Met);
        // The program (16 kB) fits, the loader and libc do not.
        var bounded = ArchiveNeeds.Read(image, files.Files, maxCopiedBytes: new FileInfo(program.Path).Length);
        Assert.Equal(2, bounded.NotRead);
        Assert.Equal(all.Needs.Select(n => n.Need.Symbol), bounded.Needs.Select(n => n.Need.Symbol));
    }
}
