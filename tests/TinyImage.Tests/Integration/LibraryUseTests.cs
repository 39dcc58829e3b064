using TinyImage.Core.Build;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Tests.Integration;

/// <summary>A recipe as ordinary C# (the README's "Recipes as a C# project"): the same code as documented there.</summary>
public sealed class LibraryUseTests
{
    [Fact]
    public async Task A_recipe_written_as_plain_csharp_builds_an_image()
    {
        using var dir = new TempDirectory();
        var output = dir.Combine("hello.tar");

        // --- as in README.md ---
        var recipe = new Recipe("app.cs");                       // relative paths resolve against its directory
        recipe.From.Scratch()
            .AddBinary("/bin/echo")
            .WithLibs()
            .Entrypoint("/bin/echo", "hello")
            .Tag("hello:csharp");
        var pipeline = new ImagePipeline(ImagePipelineOptions.FromEnvironment());
        foreach (var spec in recipe.Images())
        {
            var image = await pipeline.BuildAsync(spec, ImageReference.Parse(spec.Reference!), output, CancellationToken.None);
            Console.WriteLine($"{image.Reference} {image.ManifestDigest}");
        }
        // --- end ---

        var archive = ImageArchive.Read(output);
        Assert.Equal("hello:csharp", archive.DockerManifest.GetProperty("RepoTags")[0].GetString());
        Assert.Contains("/usr/bin/echo", archive.NonDirectories());
    }
}
