using TinyImage.Core;
using TinyImage.Core.Sources;
using TinyImage.Tests.Integration;
using Xunit.Abstractions;

namespace TinyImage.Tests.Sources;

/// <summary>Damaged archives (truncated, bytes flipped) give an image or a TinyImageException, never a crash or a hang.</summary>
public sealed class ImageArchiveReaderFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Mutated_archives_never_crash_the_reader()
    {
        using var dir = new TempDirectory();
        var text = dir.Write("hello.txt", "hello\n");
        File.WriteAllBytes(dir.Combine("small.tar"), BuildSmallArchive(text, dir.Combine("seed.tar")));
        var original = File.ReadAllBytes(dir.Combine("small.tar"));
        var random = new Random(20261128);
        var mutated = dir.Combine("mutated.tar");
        int inputs = 0, readable = 0, rejected = 0;
        for (var i = 0; i < 1500; i++, inputs++)
        {
            var bytes = (byte[])original.Clone();
            if (i % 5 == 0) bytes = bytes[..random.Next(bytes.Length)];
            else
                for (var flips = random.Next(1, 8); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(mutated, bytes);
            var read = Task.Run(() =>
            {
                try
                {
                    foreach (var image in ImageArchiveReader.Read(mutated))
                        foreach (var layer in image.Layers) image.ReadEntries(layer).Count();
                    return true;
                }
                catch (TinyImageException) { return false; }
            });
            var completed = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(completed == read, $"input {i} hung");
            if (await read) readable++; else rejected++;
        }
        output.WriteLine($"{inputs} mutated archives: {readable} read, {rejected} rejected with a clear error");
    }

    private static byte[] BuildSmallArchive(string file, string path)
    {
        var result = Run.Tinyrun(Path.GetDirectoryName(file)!, "--no-cache", "--output", path, WriteRecipe(file));
        Assert.True(result.ExitCode == 0, result.ToString());
        return File.ReadAllBytes(path);
    }

    private static string WriteRecipe(string file)
    {
        var recipe = Path.Combine(Path.GetDirectoryName(file)!, "fuzz.tiny.csx");
        File.WriteAllText(recipe, $"From.Scratch().AddFile(\"{file}\", \"/hello.txt\", 644).Env(\"A\", \"b\").Tag(\"fuzz:1\")");
        return recipe;
    }
}
