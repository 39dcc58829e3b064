using System.Security.Cryptography;

namespace TinyImage.Runner;

/// <summary>A source file of a recipe (the recipe or a file it <c>#load</c>s) and the SHA-256 of its bytes.</summary>
internal sealed record RecipeSource(string Path, string Sha256)
{
    public static RecipeSource Read(string path) => new(path, HashOf(path));

    /// <summary>True when the file still has the bytes it was compiled from.</summary>
    public bool IsUnchanged()
    {
        try { return HashOf(Path) == Sha256; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static string HashOf(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
