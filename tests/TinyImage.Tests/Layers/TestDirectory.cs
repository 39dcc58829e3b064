namespace TinyImage.Tests.Layers;

/// <summary>A fresh directory under the system temp directory, deleted on dispose.</summary>
internal sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tinyimage-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a file and returns its path.</summary>
    public string Write(string name, byte[] content, DateTime? mtime = null)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        if (mtime is { } t) System.IO.File.SetLastWriteTimeUtc(path, t);
        return path;
    }

    /// <summary>Names of the files in the directory (not recursive), sorted.</summary>
    public string[] FileNames() =>
        Directory.GetFiles(Path).Select(p => System.IO.Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
