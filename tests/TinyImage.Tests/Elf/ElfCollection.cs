namespace TinyImage.Tests.Elf;

/// <summary>The Elf test classes share one <see cref="ElfFixture"/>, so gcc runs once per fixture kind.</summary>
[CollectionDefinition(Name)]
public sealed class ElfCollection : ICollectionFixture<ElfFixture>
{
    public const string Name = "Elf";
}
