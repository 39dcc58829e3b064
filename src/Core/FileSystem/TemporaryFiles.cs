namespace TinyImage.Core.FileSystem;

/// <summary>Cleanup of temporary files after a failure: best effort, never an error of its own.</summary>
internal static class TemporaryFiles
{
    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
