namespace TinyImage.Core.Layers;

/// <summary>A count of <see cref="LayerCache"/> entries: layers, their bytes on disk, and bytes of temporary files.</summary>
public sealed record LayerCacheUsage(int Layers, long Bytes, long TemporaryBytes);
