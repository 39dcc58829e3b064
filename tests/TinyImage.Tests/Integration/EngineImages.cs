namespace TinyImage.Tests.Integration;

/// <summary>
/// Image names for one test that no user or other test has (<c>tinyimage-test-&lt;random&gt;/NAME:t</c>); disposing
/// removes from the Docker engine exactly the names handed out, and nothing else.
/// </summary>
public sealed class EngineImages : IDisposable
{
    private readonly string _prefix = "tinyimage-test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string> _tags = [];

    /// <summary>A unique reference whose last part is <paramref name="name"/> (so the archive is <c>out/NAME.tar</c>).</summary>
    public string Tag(string name)
    {
        var tag = $"{_prefix}/{name}:t";
        _tags.Add(tag);
        return tag;
    }

    /// <summary>Removes <paramref name="reference"/> (a name the test chose itself) from the engine too, when disposed.</summary>
    public void Track(string reference) => _tags.Add(reference);

    public void Dispose()
    {
        if (_tags.Count > 0) Run.Process("docker", ["rmi", "-f", .. _tags]);
    }
}
