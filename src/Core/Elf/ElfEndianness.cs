namespace TinyImage.Core.Elf;

/// <summary>EI_DATA: the byte order of an ELF file.</summary>
public enum ElfEndianness : byte
{
    LittleEndian = 1,
    BigEndian = 2,
}
