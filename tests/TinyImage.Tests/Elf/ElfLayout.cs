using System.Buffers.Binary;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Where the loader-relevant fields of a little-endian ELF file are, found without our reader (so
/// that the fuzzer does not share its mistakes): the program headers, the dynamic entries, the
/// dynamic string table and PT_INTERP, as file offsets.
/// </summary>
public sealed record ElfLayout
{
    public required bool Is64 { get; init; }

    /// <summary>File offsets of the program headers.</summary>
    public required IReadOnlyList<int> ProgramHeaders { get; init; }

    /// <summary>File offsets of the dynamic entries, DT_NULL included.</summary>
    public IReadOnlyList<int> DynamicEntries { get; init; } = [];

    /// <summary>File offset and size of the dynamic string table (DT_STRTAB mapped through PT_LOAD, DT_STRSZ), or (0, 0).</summary>
    public (int Offset, int Size) Strings { get; init; }

    /// <summary>File offset and size of PT_INTERP, or (0, 0).</summary>
    public (int Offset, int Size) Interpreter { get; init; }

    /// <summary>ELF header fields as (offset, width).</summary>
    public IReadOnlyList<(int Offset, int Width)> HeaderFields => Is64
        ? [(4, 1), (5, 1), (6, 1), (7, 1), (16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (40, 8), (48, 4), (52, 2), (54, 2), (56, 2), (58, 2), (60, 2), (62, 2)]
        : [(4, 1), (5, 1), (6, 1), (7, 1), (16, 2), (18, 2), (20, 4), (24, 4), (28, 4), (32, 4), (36, 4), (40, 2), (42, 2), (44, 2), (46, 2), (48, 2), (50, 2)];

    /// <summary>Program header fields as (offset within the entry, width): type, flags, offset, vaddr, paddr, filesz, memsz, align.</summary>
    public IReadOnlyList<(int Offset, int Width)> ProgramHeaderFields => Is64
        ? [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8)]
        : [(0, 4), (24, 4), (4, 4), (8, 4), (12, 4), (16, 4), (20, 4), (28, 4)];

    /// <summary>Width of an address-sized field (a dynamic entry's tag or value).</summary>
    public int Word => Is64 ? 8 : 4;

    public static ElfLayout Of(byte[] b)
    {
        var is64 = b[4] == 2;
        ulong Read(int at, int width) => width switch
        {
            2 => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at)),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at)),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at)),
        };
        var word = is64 ? 8 : 4;
        var phoff = (int)Read(is64 ? 32 : 28, word);
        var phentsize = (int)Read(is64 ? 54 : 42, 2);
        var phnum = (int)Read(is64 ? 56 : 44, 2);
        var headers = Enumerable.Range(0, phnum).Select(i => phoff + i * phentsize).ToList();
        var segments = headers.Select(h => (
            Type: (uint)Read(h, 4),
            Offset: Read(h + (is64 ? 8 : 4), word),
            VirtualAddress: Read(h + (is64 ? 16 : 8), word),
            FileSize: Read(h + (is64 ? 32 : 16), word))).ToList();

        var entries = new List<int>();
        (int, int) strings = (0, 0), interp = (0, 0);
        foreach (var s in segments.Where(s => s.Type == 3)) interp = ((int)s.Offset, (int)s.FileSize);
        foreach (var s in segments.Where(s => s.Type == 2))
        {
            ulong? strtab = null, strsz = null;
            for (var at = (int)s.Offset; at + 2 * word <= (int)(s.Offset + s.FileSize); at += 2 * word)
            {
                entries.Add(at);
                var tag = Read(at, word);
                if (tag == 5) strtab = Read(at + word, word);
                if (tag == 10) strsz = Read(at + word, word);
                if (tag == 0) break;
            }
            if (strtab is { } address && strsz is { } size &&
                segments.FirstOrDefault(l => l.Type == 1 && address >= l.VirtualAddress && address - l.VirtualAddress < l.FileSize) is { Type: 1 } load)
                strings = ((int)(load.Offset + (address - load.VirtualAddress)), (int)size);
        }
        return new ElfLayout { Is64 = is64, ProgramHeaders = headers, DynamicEntries = entries, Strings = strings, Interpreter = interp };
    }
}
