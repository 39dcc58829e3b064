namespace TinyImage.Tests.Integration;

/// <summary>
/// Tests that use the one Docker engine run one at a time, beside the tests of other collections (they wait on the engine
/// and on containers much of the time; run alone, after the parallel tests, they left one core idle for two thirds of
/// the suite's time).
/// </summary>
[CollectionDefinition(Name)]
public sealed class DockerCollection
{
    public const string Name = "docker";
}
