using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Corpus;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary>Build-time checks that stop an image that cannot start, each one line naming the fix; and what they let through.</summary>
public sealed class StartChecksTests
{
    private static readonly ImageConfig NoCommand = new();

    [Fact]
    public async Task A_dynamic_program_without_its_loader_is_refused()
    {
        var error = await BuildFails(new AddBinaryStep("/usr/bin/true", "/usr/bin/true"));
        Assert.Equal("/usr/bin/true is a dynamic program but its loader /lib64/ld-linux-x86-64.so.2 is not in the image; add .WithLibs() after the step that adds it", error);
    }

    [Fact]
    public async Task A_dynamic_program_without_a_library_is_refused()
    {
        // The loader alone (as AddBinary of it gives), not libc.
        var error = await BuildFails(new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new AddBinaryStep("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"));
        Assert.Equal("/usr/bin/true needs libc.so.6, which is not in the image; add .WithLibs() after the step that adds it", error);
    }

    [Fact]
    public async Task An_entrypoint_that_is_not_in_the_image_is_refused()
    {
        var error = await BuildFails(NoCommand with { Entrypoint = ["/usr/bin/nginx"] }, new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep());
        Assert.Equal("the entrypoint /usr/bin/nginx is not in the image (no such file); add it with .AddBinary(\"/usr/bin/nginx\")", error);

        var onPath = await BuildFails(NoCommand with { Cmd = ["sh", "-c", "true"] }, new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep());
        Assert.Equal($"the entrypoint sh is not in the image (no directory of PATH={Core.Needs.StartChecks.DefaultPath} has it); add it with .AddBinary(\"/usr/bin/sh\")", onPath);
    }

    [Fact]
    public async Task An_entrypoint_reached_through_the_images_symlinks_or_path_is_accepted()
    {
        using var dir = new TempDirectory();
        var steps = new BuildStep[] { new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep(), new SymlinkStep("/bin", "usr/bin") };
        await Build(NoCommand with { Entrypoint = ["/bin/true"] }, dir.Combine("a.tar"), steps);
        await Build(NoCommand with { Cmd = ["true"] }, dir.Combine("b.tar"), steps);
    }

    [Fact]
    public async Task A_user_name_without_a_passwd_entry_is_refused_and_a_number_is_not()
    {
        var steps = new BuildStep[] { new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep() };
        var error = await BuildFails(NoCommand with { User = "nginx" }, steps);
        Assert.Equal(".User(\"nginx\"): the image has no passwd entry for nginx, so the container cannot start; add .WithUser(\"nginx\", UID) or use a number, .User(UID)", error);

        using var dir = new TempDirectory();
        await Build(NoCommand with { User = "101:101" }, dir.Combine("a.tar"), steps);
        await Build(NoCommand with { User = "nginx" }, dir.Combine("b.tar"), [.. steps, new WithUserStep("nginx", 101, 101)]);
    }

    [Fact]
    public async Task A_missing_work_dir_is_left_to_the_engine_which_creates_it()
    {
        using var dir = new TempDirectory();
        var hints = new List<string>();
        var image = await Build(NoCommand with { WorkingDir = "/srv/app" }, dir.Combine("a.tar"), [new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep()], hints.Add);
        Assert.True(File.Exists(image.OutputPath));
        Assert.DoesNotContain(hints, h => h.Contains("WorkDir", StringComparison.Ordinal)); // root can write in it
    }

    [Fact]
    public async Task A_missing_work_dir_of_a_non_root_user_gets_a_hint_and_an_existing_one_none()
    {
        using var dir = new TempDirectory();
        var steps = new BuildStep[] { new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep() };
        var hints = new List<string>();
        await Build(NoCommand with { WorkingDir = "/srv/app", User = "1000" }, dir.Combine("a.tar"), steps, hints.Add);
        Assert.Contains("hint: .WorkDir(\"/srv/app\") is not in the image: the engine creates it owned by root, so user 1000 cannot write there; add .MkDir(\"/srv/app\", owner: \"1000\") if it should", hints);

        var none = new List<string>();
        await Build(NoCommand with { WorkingDir = "/srv/app", User = "1000" }, dir.Combine("b.tar"), [.. steps, new MkDirStep("/srv/app", 0x1ED)], none.Add);
        Assert.DoesNotContain(none, h => h.Contains("WorkDir", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_work_dir_made_only_as_the_parent_of_a_directory_below_it_gets_a_hint_that_says_so()
    {
        // From.Scratch().MkDir("/srv/x").WorkDir("/srv").User("1000"): /srv is in the image, root's, made for /srv/x.
        using var dir = new TempDirectory();
        var hints = new List<string>();
        await Build(NoCommand with { WorkingDir = "/srv", User = "1000" }, dir.Combine("a.tar"), [new MkDirStep("/srv/x", 0x1ED)], hints.Add);
        Assert.Equal(["hint: .WorkDir(\"/srv\") is a directory made for /srv/x, owned by root, so user 1000 cannot write there; add .MkDir(\"/srv\", owner: \"1000\") if it should"],
            hints.Where(h => h.Contains("WorkDir", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_work_dir_that_is_a_file_in_the_image_is_refused()
    {
        var error = await BuildFails(NoCommand with { WorkingDir = "/usr/bin/true" }, new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new WithLibsStep());
        Assert.Equal(".WorkDir(\"/usr/bin/true\"): /usr/bin/true in the image is a file, not a directory, so the container cannot start; use another directory or .MkDir(\"/usr/bin/true\") in its place", error);
    }

    [Fact]
    public async Task WithLibs_leaves_a_relocatable_object_alone_with_a_note()
    {
        using var dir = new TempDirectory();
        CompileRelocatableObject(dir);
        var hints = new List<string>();
        var image = await Build(NoCommand, dir.Combine("a.tar"),
            [new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new AddDirectoryStep(dir.Combine("lib"), "/usr/lib/python") { Tree = SourceTree.Recipe }, new WithLibsStep()], hints.Add);
        Assert.True(File.Exists(image.OutputPath));
        Assert.Equal("note: WithLibs left alone 1 ELF file that cannot be loaded (relocatable objects, core files), e.g. /usr/lib/python/python.o (Relocatable)", hints[0]);
    }

    [Fact]
    public async Task The_reviews_notes_come_out_before_it_refuses_the_image_and_nothing_is_written()
    {
        // The review runs beside the layers' writing; what it said before refusing still comes out, and no output is made.
        using var dir = new TempDirectory();
        CompileRelocatableObject(dir);
        var hints = new List<string>();
        var error = await Assert.ThrowsAsync<TinyImageException>(() => Build(NoCommand with { Entrypoint = ["/usr/bin/nginx"] }, dir.Combine("a.tar"),
            [new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new AddDirectoryStep(dir.Combine("lib"), "/usr/lib/python") { Tree = SourceTree.Recipe }, new WithLibsStep()], hints.Add));
        Assert.StartsWith("the entrypoint /usr/bin/nginx is not in the image", error.Message);
        Assert.Equal(["note: WithLibs left alone 1 ELF file that cannot be loaded (relocatable objects, core files), e.g. /usr/lib/python/python.o (Relocatable)"], hints);
        Assert.False(File.Exists(dir.Combine("a.tar")));
    }

    [Fact]
    public async Task The_reviews_refusal_comes_out_even_when_the_layers_fail_before_they_wait_for_it()
    {
        // The layer cache is a file, so the layers fail while they are being set up, before they wait for the review:
        // what the review says (its notes, its refusal) still comes first.
        using var dir = new TempDirectory();
        CompileRelocatableObject(dir);
        var notADirectory = dir.Write("cache", "a file where the layer cache should be");
        var hints = new List<string>();
        var pipeline = new ImagePipeline(new ImagePipelineOptions { Hint = hints.Add, LayerCacheDirectory = notADirectory });
        var spec = new ImageSpec
        {
            Steps = [new AddBinaryStep("/usr/bin/true", "/usr/bin/true"), new AddDirectoryStep(dir.Combine("lib"), "/usr/lib/python") { Tree = SourceTree.Recipe }, new WithLibsStep()],
            Config = NoCommand with { Entrypoint = ["/usr/bin/nginx"] },
        };
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pipeline.BuildAsync(spec, ImageReference.Parse("checks:1"), dir.Combine("a.tar"), CancellationToken.None));
        Assert.StartsWith("the entrypoint /usr/bin/nginx is not in the image", error.Message);
        Assert.Equal(["note: WithLibs left alone 1 ELF file that cannot be loaded (relocatable objects, core files), e.g. /usr/lib/python/python.o (Relocatable)"], hints);
        Assert.False(File.Exists(dir.Combine("a.tar")));
    }

    /// <summary>Writes <c>lib/python.o</c> in <paramref name="dir"/>: a relocatable object, an ELF file no loader loads.</summary>
    private static void CompileRelocatableObject(TempDirectory dir)
    {
        var source = dir.Write("lib/python.c", "int python_main(void) { return 0; }\n");
        var gcc = LoaderOracle.Run("gcc", ["-c", "-o", dir.Combine("lib/python.o"), source]);
        Assert.True(gcc.ExitCode == 0, gcc.StdErr);
    }

    private static Task<string> BuildFails(params BuildStep[] steps) => BuildFails(NoCommand, steps);

    private static async Task<string> BuildFails(ImageConfig config, params BuildStep[] steps)
    {
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<TinyImageException>(() => Build(config, dir.Combine("a.tar"), steps));
        Assert.False(File.Exists(dir.Combine("a.tar")));
        return error.Message;
    }

    private static Task<BuiltImage> Build(ImageConfig config, string output, BuildStep[] steps, Action<string>? hint = null) =>
        new ImagePipeline(new ImagePipelineOptions { Hint = hint ?? (_ => { }) })
            .BuildAsync(new ImageSpec { Steps = [.. steps], Config = config }, ImageReference.Parse("checks:1"), output, CancellationToken.None);
}
