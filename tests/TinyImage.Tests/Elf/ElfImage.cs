using System.Buffers.Binary;
using System.Text;

namespace TinyImage.Tests.Elf;

/// <summary>
/// A minimal ELF file built byte by byte, in either class and byte order: the ELF header, then
/// PT_LOAD (the whole file, at <see cref="LoadAddress"/>), PT_INTERP and PT_DYNAMIC, the interpreter
/// string, the dynamic string table and the dynamic entries. For reader tests no compiler can make
/// here (32-bit big-endian, PN_XNUM, odd tables).
/// </summary>
public sealed record ElfImage
{
    public const ulong LoadAddress = 0x10000;

    public bool Is64 { get; init; } = true;
    public bool BigEndian { get; init; }
    public ushort Machine { get; init; } = 62;
    public ushort Type { get; init; } = 3;
    public byte OsAbi { get; init; }
    public string? Interpreter { get; init; }
    public IReadOnlyList<string> Needed { get; init; } = [];
    public string? Soname { get; init; }
    public string? RPath { get; init; }
    public string? RunPath { get; init; }
    public ulong Flags1 { get; init; }

    /// <summary>Whether the file has a PT_DYNAMIC at all.</summary>
    public bool Dynamic { get; init; } = true;

    /// <summary>Whether DT_STRSZ is written (the reader then takes the table to the end of the file).</summary>
    public bool WriteStringTableSize { get; init; } = true;

    /// <summary>Writes e_phnum as PN_XNUM (0xFFFF) with the real count in section header 0's sh_info.</summary>
    public bool ExtendedPhnum { get; init; }

    public byte[] Build()
    {
        var ehsize = Is64 ? 64 : 52;
        var phentsize = Is64 ? 56 : 32;
        var word = Is64 ? 8 : 4;
        var phnum = 1 + (Interpreter is null ? 0 : 1) + (Dynamic ? 1 : 0);
        var interpOffset = ehsize + phnum * phentsize;
        var interp = Interpreter is null ? [] : Encoding.UTF8.GetBytes(Interpreter + "\0");
        var strings = new MemoryStream();
        strings.WriteByte(0);
        ulong Add(string s)
        {
            var at = (ulong)strings.Length;
            strings.Write(Encoding.UTF8.GetBytes(s + "\0"));
            return at;
        }
        var entries = new List<(long Tag, ulong Value)>();
        var neededAt = Needed.Select(Add).ToList();
        var strOffset = interpOffset + interp.Length;
        entries.Add((5, LoadAddress + (ulong)strOffset));
        foreach (var n in neededAt) entries.Add((1, n));
        if (Soname is not null) entries.Add((14, Add(Soname)));
        if (RPath is not null) entries.Add((15, Add(RPath)));
        if (RunPath is not null) entries.Add((29, Add(RunPath)));
        if (Flags1 != 0) entries.Add((0x6ffffffb, Flags1));
        var table = strings.ToArray();
        if (WriteStringTableSize) entries.Insert(1, (10, (ulong)table.Length));
        entries.Add((0, 0));
        var dynOffset = (strOffset + table.Length + 7) / 8 * 8;
        var dynSize = Dynamic ? entries.Count * 2 * word : 0;
        var sectionOffset = dynOffset + dynSize;
        var length = sectionOffset + (ExtendedPhnum ? (Is64 ? 64 : 40) : 0);
        var b = new byte[length];

        void Put(int at, ulong value, int width)
        {
            var span = b.AsSpan(at, width);
            switch (width)
            {
                case 1: span[0] = (byte)value; break;
                case 2: if (BigEndian) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value); else BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
                case 4: if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value); else BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
                default: if (BigEndian) BinaryPrimitives.WriteUInt64BigEndian(span, value); else BinaryPrimitives.WriteUInt64LittleEndian(span, value); break;
            }
        }

        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = (byte)(Is64 ? 2 : 1); b[5] = (byte)(BigEndian ? 2 : 1); b[6] = 1; b[7] = OsAbi;
        Put(16, Type, 2);
        Put(18, Machine, 2);
        Put(20, 1, 4);
        Put(Is64 ? 32 : 28, (ulong)ehsize, word);                                      // e_phoff
        Put(Is64 ? 40 : 32, ExtendedPhnum ? (ulong)sectionOffset : 0, word);          // e_shoff
        Put(Is64 ? 52 : 40, (ulong)ehsize, 2);
        Put(Is64 ? 54 : 42, (ulong)phentsize, 2);
        Put(Is64 ? 56 : 44, ExtendedPhnum ? 0xFFFFUL : (ulong)phnum, 2);
        Put(Is64 ? 58 : 46, Is64 ? 64UL : 40UL, 2);                                    // e_shentsize
        if (ExtendedPhnum) Put(sectionOffset + (Is64 ? 44 : 28), (ulong)phnum, 4);    // sh_info of section 0

        var ph = ehsize;
        void Segment(uint type, int offset, int size)
        {
            Put(ph, type, 4);
            Put(ph + (Is64 ? 8 : 4), (ulong)offset, word);
            Put(ph + (Is64 ? 16 : 8), LoadAddress + (ulong)offset, word);
            Put(ph + (Is64 ? 32 : 16), (ulong)size, word);
            Put(ph + (Is64 ? 40 : 20), (ulong)size, word);
            ph += phentsize;
        }
        Segment(1, 0, length);
        if (Interpreter is not null) Segment(3, interpOffset, interp.Length);
        if (Dynamic) Segment(2, dynOffset, dynSize);

        interp.CopyTo(b, interpOffset);
        table.CopyTo(b, strOffset);
        if (Dynamic)
            for (var i = 0; i < entries.Count; i++)
            {
                Put(dynOffset + i * 2 * word, (ulong)entries[i].Tag, word);
                Put(dynOffset + i * 2 * word + word, entries[i].Value, word);
            }
        return b;
    }
}
