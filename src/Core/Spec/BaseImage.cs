namespace TinyImage.Core.Spec;

/// <summary>Where a base image comes from: the image a recipe builds on with <c>From.Image</c>, <c>From.Archive</c> or <c>From.Layout</c>.</summary>
public enum BaseImageKind
{
    /// <summary>A registry reference: <c>127.0.0.1:5000/base:1</c>, <c>debian@sha256:…</c>.</summary>
    Registry,

    /// <summary>An image archive on the host: TinyImage's, <c>docker save</c>'s or an OCI archive.</summary>
    Archive,

    /// <summary>An OCI image layout directory on the host.</summary>
    Layout,
}

/// <summary>
/// The image a recipe builds on: its layers are reused as they are (never recompressed), its run settings are inherited
/// (the recipe's own settings win), and the recipe's layers go on top.
/// </summary>
/// <param name="Location">The registry reference, or the absolute host path of the archive or layout.</param>
public sealed record BaseImage(BaseImageKind Kind, string Location)
{
    public override string ToString() => Kind == BaseImageKind.Registry ? Location : $"{Kind.ToString().ToLowerInvariant()} {Location}";
}
