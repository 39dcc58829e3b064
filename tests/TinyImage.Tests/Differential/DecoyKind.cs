namespace TinyImage.Tests.Differential;

/// <summary>A file with a library's name that the loader must not use: skipped (wrong class or machine) or fatal (not ELF).</summary>
public enum DecoyKind
{
    /// <summary>A 32-bit shared library (gcc -m32), or a 64-bit one with EI_CLASS patched where -m32 cannot link.</summary>
    WrongClass,

    /// <summary>A 64-bit shared library with e_machine patched to AArch64.</summary>
    WrongMachine,

    /// <summary>A text file: ld.so stops at it ("invalid ELF header") instead of searching on.</summary>
    NotElf,
}
