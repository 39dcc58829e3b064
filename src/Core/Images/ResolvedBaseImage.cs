using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Images;

/// <summary>
/// A base image ready to build on: its run settings, platform and checked layers, whose blobs are in the
/// <see cref="BlobStore"/> (lowest first).
/// </summary>
/// <remarks>Layers pulled from a registry say where from (<see cref="Layer.PulledFrom"/>): a push to that registry mounts them.</remarks>
public sealed record ResolvedBaseImage(BaseImage Source, ImageConfig Config, Platform Platform, IReadOnlyList<Layer> Layers);
