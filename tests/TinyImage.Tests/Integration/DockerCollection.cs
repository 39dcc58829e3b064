namespace TinyImage.Tests.Integration;

/// <summary>Tests that use the one Docker engine run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DockerCollection
{
    public const string Name = "docker";
}
