using System.Diagnostics;
using System.Runtime.CompilerServices;
using TinyImage.Core;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>
/// What a recipe sees: <see cref="From"/> to start images and <see cref="Sh"/> to run build steps.
/// It collects the images the recipe defines: every builder chain that is not extended further is
/// one image, so a recipe may define several, with or without a final semicolon.
/// </summary>
public sealed class Recipe
{
    private readonly List<ImageBuilder> _builders = [];
    private readonly HashSet<ImageBuilder> _extended = new(ReferenceEqualityComparer.Instance);

    /// <param name="path">The recipe file; relative paths in the recipe are relative to its directory.</param>
    /// <param name="arguments">The values of <c>--arg name=value</c>, read by the recipe as <see cref="Args"/>.</param>
    public Recipe(string path, IReadOnlyDictionary<string, string>? arguments = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory = System.IO.Path.GetDirectoryName(Path)!;
        From = new ImageFactory(this);
        Args = new RecipeArguments(arguments ?? new Dictionary<string, string>(), Path);
    }

    /// <summary>Parameters from the command line: <c>tinyrun recipe.tiny.csx --arg version=1.2</c> gives <c>Args["version"]</c>.</summary>
    public RecipeArguments Args { get; }

    /// <summary>The recipe file's absolute path.</summary>
    public string Path { get; }

    /// <summary>The directory relative paths are resolved against.</summary>
    public string Directory { get; }

    /// <summary>Starts an image: <c>From.Scratch()</c>.</summary>
    public ImageFactory From { get; }

    /// <summary>
    /// Runs <paramref name="command"/> with /bin/sh in the recipe's directory, now, and fails the build
    /// with the exit code and output when it fails.
    /// </summary>
    public void Sh(string command, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var location = Locate(file, line);
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)
            ?? throw new TinyImageException(SourceLocation.Prefix(location, "cannot start /bin/sh"));
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var output = (stdout + stderr.Result).TrimEnd();
        if (process.ExitCode != 0)
        {
            var shown = output.Length == 0 ? "(no output)" : output.Replace("\n", "\n    ");
            throw new TinyImageException(SourceLocation.Prefix(location,
                $"Sh(\"{command}\") failed with exit code {process.ExitCode}; fix the command. Its output:\n    {shown}"));
        }
    }

    /// <summary>The images the recipe defined, in the order their last call was made.</summary>
    public IReadOnlyList<ImageSpec> Images() =>
        _builders.Where(b => !_extended.Contains(b)).Select(b => b.Spec).ToList();

    internal ImageBuilder Register(ImageBuilder builder, ImageBuilder? parent)
    {
        if (parent is not null) _extended.Add(parent);
        _builders.Add(builder);
        return builder;
    }

    internal SourceLocation? Locate(string file, int line) =>
        line > 0 ? new SourceLocation(string.IsNullOrEmpty(file) ? Path : file, line) : null;

    internal string ResolveSource(string path) =>
        System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(Directory, path));
}
