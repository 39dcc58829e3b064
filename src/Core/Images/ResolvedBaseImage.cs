using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Images;

/// <summary>
/// A base image ready to build on: its run settings, platform and checked layers, whose blobs are in the
/// <see cref="BlobStore"/> (lowest first).
/// </summary>
/// <param name="Registry">Where it was pulled from (<c>127.0.0.1:5000</c>), or null; a push to the same registry mounts its layers.</param>
/// <param name="Repository">The repository it was pulled from (<c>team/base</c>), or null.</param>
public sealed record ResolvedBaseImage(BaseImage Source, ImageConfig Config, Platform Platform, IReadOnlyList<Layer> Layers, string? Registry = null, string? Repository = null);
