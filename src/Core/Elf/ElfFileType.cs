namespace TinyImage.Core.Elf;

/// <summary>e_type: what kind of object an ELF file is. Other values are kept as numbers.</summary>
public enum ElfFileType : ushort
{
    None = 0,
    Relocatable = 1,
    Executable = 2,
    SharedObject = 3,
    Core = 4,
}
