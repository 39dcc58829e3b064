using System.Runtime.CompilerServices;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>The starting points of an image: <c>From.Scratch()</c>.</summary>
public sealed class ImageFactory
{
    private readonly Recipe _recipe;

    internal ImageFactory(Recipe recipe) => _recipe = recipe;

    /// <summary>An empty image: no files, no operating system.</summary>
    public ImageBuilder Scratch([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        _recipe.Register(new ImageBuilder(_recipe, new ImageSpec { Origin = _recipe.Locate(file, line) }), parent: null);
}
