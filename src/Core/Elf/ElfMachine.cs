namespace TinyImage.Core.Elf;

/// <summary>The e_machine values TinyImage knows by name (from the System V ABI / glibc's elf.h).</summary>
public static class ElfMachine
{
    public const ushort I386 = 3;
    public const ushort Arm = 40;
    public const ushort Ppc64 = 21;
    public const ushort S390 = 22;
    public const ushort X86_64 = 62;
    public const ushort AArch64 = 183;
    public const ushort RiscV = 243;
}
