namespace TinyImage.Core.Elf;

/// <summary>
/// What the dynamic loader needs to know about one ELF file, read from its ELF header, program
/// headers and dynamic segment (never from section headers, which the loader ignores too).
/// </summary>
public sealed record ElfInfo
{
    /// <summary>The host path the file was read from.</summary>
    public required string Path { get; init; }

    public required ElfClass Class { get; init; }

    public required ElfEndianness Endianness { get; init; }

    /// <summary>e_machine, e.g. <see cref="ElfMachine.X86_64"/>.</summary>
    public required ushort Machine { get; init; }

    public required ElfFileType Type { get; init; }

    /// <summary>EI_OSABI: 0 (System V) or 3 (GNU/Linux) for files glibc accepts.</summary>
    public required byte OsAbi { get; init; }

    /// <summary>The PT_INTERP path (the ELF interpreter the kernel starts), or null.</summary>
    public string? Interpreter { get; init; }

    /// <summary>The DT_NEEDED names, in file order.</summary>
    public IReadOnlyList<string> Needed { get; init; } = [];

    /// <summary>DT_RPATH as stored (colon-separated, tokens unexpanded), or null.</summary>
    public string? RPath { get; init; }

    /// <summary>DT_RUNPATH as stored (colon-separated, tokens unexpanded), or null.</summary>
    public string? RunPath { get; init; }

    public string? Soname { get; init; }

    /// <summary>DF_1_NODEFLIB: the default library directories (and ld.so.cache entries in them) are not searched for this object's needs.</summary>
    public bool NoDefaultLib { get; init; }

    /// <summary>DF_1_PIE: a position-independent executable, which ld.so refuses to load as a library.</summary>
    public bool IsPie { get; init; }

    /// <summary>True when the file has a PT_DYNAMIC segment.</summary>
    public bool HasDynamicSegment { get; init; }

    /// <summary>No PT_INTERP and no DT_NEEDED: a static or static-pie binary, which needs no other file to run.</summary>
    public bool IsStatic => Interpreter is null && Needed.Count == 0;

    /// <summary>
    /// The RPATH glibc uses: DT_RPATH unless the object also has DT_RUNPATH, which makes glibc ignore it.
    /// </summary>
    public string? EffectiveRPath => RunPath is null ? RPath : null;

    /// <summary>The OCI/GOARCH name of <see cref="Machine"/> ("amd64", "arm64", ...), or "unknown".</summary>
    public string OciArchitecture => Machine switch
    {
        ElfMachine.X86_64 => "amd64",
        ElfMachine.AArch64 => "arm64",
        ElfMachine.I386 => "386",
        ElfMachine.Arm => "arm",
        ElfMachine.Ppc64 => Endianness == ElfEndianness.LittleEndian ? "ppc64le" : "ppc64",
        ElfMachine.S390 when Class == ElfClass.Elf64 => "s390x",
        ElfMachine.RiscV when Class == ElfClass.Elf64 => "riscv64",
        _ => "unknown",
    };
}
