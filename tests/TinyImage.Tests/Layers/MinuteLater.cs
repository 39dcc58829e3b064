namespace TinyImage.Tests.Layers;

/// <summary>A clock a minute ahead: files a test has just written count as settled (<see cref="TinyImage.Core.FileSystem.FileStamp.IsSettled"/>).</summary>
internal sealed class MinuteLater : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromMinutes(1);
}
