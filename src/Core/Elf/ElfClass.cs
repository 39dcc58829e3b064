namespace TinyImage.Core.Elf;

/// <summary>EI_CLASS: the word size of an ELF file.</summary>
public enum ElfClass : byte
{
    Elf32 = 1,
    Elf64 = 2,
}
