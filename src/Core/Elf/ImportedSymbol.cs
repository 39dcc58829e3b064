namespace TinyImage.Core.Elf;

/// <summary>
/// A symbol an ELF file imports: an undefined entry of its dynamic symbol table (.dynsym), which the loader binds to a
/// definition in another object, e.g. <c>getpwuid</c> at version <c>GLIBC_2.2.5</c> from <c>libc.so.6</c>.
/// </summary>
/// <param name="Name">The symbol's name.</param>
/// <param name="Version">The version it asks for (DT_VERNEED), or null when it asks for none.</param>
/// <param name="Library">The library the version belongs to (its DT_VERNEED file name), or null.</param>
/// <param name="IsWeak">A weak reference: the program runs without a definition (the address is null).</param>
public sealed record ImportedSymbol(string Name, string? Version, string? Library, bool IsWeak)
{
    public override string ToString() => Version is null ? Name : $"{Name}@{Version}";
}
