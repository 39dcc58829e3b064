namespace TinyImage.Tests.Faults;

/// <summary>Fault tests use the disk and both cores for a while: they run alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "faults";
}
