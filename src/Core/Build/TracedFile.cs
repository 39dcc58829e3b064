namespace TinyImage.Core.Build;

/// <summary>A file a traced program opened for reading, or ran (<see cref="Executed"/>), by its absolute path as the program spelled it.</summary>
public sealed record TracedFile(string Path, bool Executed)
{
    /// <summary>Why the file does not go in the image (under /proc, the host's accounts, ...); null when it does.</summary>
    public string? LeftOut { get; init; }
}
