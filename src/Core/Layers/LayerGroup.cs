using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Layers;

/// <summary>
/// The entries of one layer, as <see cref="LayerPlan"/> chose them: sorted by path, each with its parent
/// directories, so the layer is a valid tar on its own.
/// </summary>
/// <param name="Name">What the layer holds: <c>libc</c>, <c>libraries</c>, a recipe's own layer name, or <c>application</c>.</param>
public sealed record LayerGroup(string Name, IReadOnlyList<FileEntry> Entries);
