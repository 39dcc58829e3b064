namespace TinyImage.Tests.Unit;

/// <summary>A fresh directory under the system temp directory standing for a host root; deleted on dispose.</summary>
internal sealed class TempRoot : IDisposable
{
    public TempRoot()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tinyimage-unit-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The host path of <paramref name="relative"/> ("usr/bin/x") under the root.</summary>
    public string Host(string relative) => System.IO.Path.Combine(Path, relative.TrimStart('/'));

    public string File(string relative, string content = "x", UnixFileMode? mode = null)
    {
        var path = Host(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        if (mode is { } m) System.IO.File.SetUnixFileMode(path, m);
        return path;
    }

    public string Dir(string relative)
    {
        var path = Host(relative);
        Directory.CreateDirectory(path);
        return path;
    }

    public string Link(string relative, string target)
    {
        var path = Host(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.CreateSymbolicLink(path, target);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
