using System.Runtime.CompilerServices;
using TinyImage.Core;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>
/// The starting points of an image: <c>From.Scratch()</c>, or a base image whose layers and run settings the new image
/// builds on: <c>From.Image("registry:5000/base:1")</c>, <c>From.Archive("base.tar")</c>, <c>From.Layout("dir")</c>.
/// </summary>
public sealed class ImageFactory
{
    private readonly Recipe _recipe;

    internal ImageFactory(Recipe recipe) => _recipe = recipe;

    /// <summary>An empty image: no files, no operating system.</summary>
    public ImageBuilder Scratch([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Start(null, file, line);

    /// <summary>
    /// An image from a registry, by tag or digest: <c>From.Image("127.0.0.1:5000/team/base:1")</c>,
    /// <c>From.Image("debian@sha256:…")</c>. It is pulled once (verified by digest, kept in the cache); <c>--platform</c>
    /// picks from a multi-platform index. Its layers stay as they are and the recipe's go on top.
    /// </summary>
    public ImageBuilder Image(string reference, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (string.IsNullOrWhiteSpace(reference))
            throw new TinyImageException(SourceLocation.Prefix(_recipe.Locate(file, line), "From.Image(...): give a reference such as \"registry.example:5000/team/base:1\""));
        return Start(new BaseImage(BaseImageKind.Registry, reference.Trim()), file, line);
    }

    /// <summary>An image from an archive: TinyImage's, <c>docker save</c>'s, or an OCI archive (relative to the recipe).</summary>
    public ImageBuilder Archive(string path, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Start(new BaseImage(BaseImageKind.Archive, HostPath(path, "Archive", file, line)), file, line);

    /// <summary>An image from an OCI image layout directory (relative to the recipe), e.g. one <c>--format oci-dir</c> wrote.</summary>
    public ImageBuilder Layout(string directory, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Start(new BaseImage(BaseImageKind.Layout, HostPath(directory, "Layout", file, line)), file, line);

    private string HostPath(string path, string method, string file, int line) =>
        string.IsNullOrWhiteSpace(path)
            ? throw new TinyImageException(SourceLocation.Prefix(_recipe.Locate(file, line), $"From.{method}(...): give a path"))
            : _recipe.ResolveSource(path);

    private ImageBuilder Start(BaseImage? baseImage, string file, int line) =>
        _recipe.Register(new ImageBuilder(_recipe, new ImageSpec { Origin = _recipe.Locate(file, line), Base = baseImage }), parent: null);
}
