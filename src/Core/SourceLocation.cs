namespace TinyImage.Core;

/// <summary>A place in a recipe: the file and 1-based line of the call that asked for something.</summary>
public readonly record struct SourceLocation(string File, int Line)
{
    /// <summary>Formats as <c>file(line)</c>, the form compilers use, relative to the current directory when shorter.</summary>
    public override string ToString()
    {
        var shown = File;
        if (Path.IsPathRooted(File))
        {
            var relative = Path.GetRelativePath(Environment.CurrentDirectory, File);
            if (!relative.StartsWith("..", StringComparison.Ordinal)) shown = relative;
        }
        return $"{shown}({Line})";
    }

    /// <summary>Prefixes <paramref name="message"/> with this location, or returns it unchanged when there is none.</summary>
    public static string Prefix(SourceLocation? location, string message) =>
        location is { } l ? $"{l}: {message}" : message;
}
