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

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8) through a temporary <c>.NAME.RANDOM.tmp</c>
    /// beside it (the form caches sweep) and a rename, creating its directory (0700) if missing; best effort, for
    /// entries that only save work: a failure leaves the old file or none.
    /// </summary>
    public static void TryReplace(string path, string text)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
        }
    }
}
