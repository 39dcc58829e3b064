using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Layers;

/// <summary>What the layer cache tests build and look for: a small compressible layer, and the temporary files left.</summary>
internal static class CacheEntries
{
    /// <summary>A directory and one file of <paramref name="text"/> repeated 400 times.</summary>
    public static IReadOnlyList<FileEntry> Of(string text) =>
    [
        FileEntry.Directory("/app", 0x1ED, "test"),
        FileEntry.Inline("/app/data", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(text, 400))), 0x1A4, "test"),
    ];

    /// <summary>Every <c>*.tmp</c> file under <paramref name="directory"/>.</summary>
    public static string[] Temporary(string directory) =>
        Directory.GetFiles(directory, "*.tmp", SearchOption.AllDirectories);
}
