namespace TinyImage.Tests.Debian;

/// <summary>The tests of the real mirror share one <see cref="DebianMirrorFixture"/> (one cache, one download of the index).</summary>
[CollectionDefinition(Name)]
public sealed class DebianMirrorCollection : ICollectionFixture<DebianMirrorFixture>
{
    public const string Name = "Debian mirror";
}
