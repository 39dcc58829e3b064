namespace TinyImage.Core.Layers;

/// <summary>
/// A layer a recipe asked for by name (<c>.Layer("name", l => ...)</c>): the image paths that go in it. Such layers
/// come after the C library and shared-library layers and before the application layer, in the recipe's order.
/// </summary>
/// <param name="Name">The layer's name, e.g. <c>assets</c>.</param>
/// <param name="Paths">Absolute, normalized image paths (files, symlinks or directories) put in this layer.</param>
public sealed record LayerAssignment(string Name, IReadOnlySet<string> Paths);
