using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Elf;

/// <summary>
/// Reads the loader-relevant parts of an ELF file (<see cref="ElfInfo"/>) the way ld.so does: from
/// the ELF header, the program headers, PT_INTERP and PT_DYNAMIC, mapping DT_STRTAB's address
/// through the PT_LOAD segments. Section headers are never needed, so stripped or section-less files
/// work. Only the needed bytes are read. Every malformation (bad magic, truncation, offsets past
/// the end, unterminated strings) is a <see cref="TinyImageException"/> naming the file.
/// </summary>
/// <remarks>
/// ELFSharp is not used here: it finds the dynamic entries through section headers (absent in
/// section-less files, which still run) and parses every section eagerly, failing on damage in
/// parts the loader never reads.
/// </remarks>
public static partial class ElfReader
{
    private const int MaxInterpreterLength = 4096;
    private const int MaxStringLength = 4096;
    private const int MaxTotalStringLength = 1 << 20;
    private const int MaxDynamicEntries = 1 << 16;
    private const ushort PnXnum = 0xFFFF;

    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private const long DtNull = 0, DtNeeded = 1, DtStrTab = 5, DtStrSz = 10, DtSoname = 14, DtRPath = 15, DtRunPath = 29;
    private const long DtFlags1 = 0x6ffffffb;
    private const ulong Df1NoDefLib = 0x800, Df1Pie = 0x08000000;

    /// <summary>True when <paramref name="hostPath"/> is a readable regular file that starts with the ELF magic. Never throws, never blocks.</summary>
    public static bool IsElf(string hostPath)
    {
        try
        {
            using var handle = Open(hostPath);
            Span<byte> magic = stackalloc byte[4];
            return handle is not null && RandomAccess.Read(handle, magic, 0) == 4 && HasMagic(magic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
        {
            return false;
        }
    }

    /// <summary>Reads <paramref name="hostPath"/>; throws <see cref="TinyImageException"/> when it is missing, not ELF, or malformed.</summary>
    public static ElfInfo Read(string hostPath)
    {
        using var handle = Open(hostPath)
            ?? throw new TinyImageException($"{hostPath}: not an ELF file (empty, or not a regular file)");
        try
        {
            return new Parser(hostPath, handle).Parse();
        }
        catch (IOException e)
        {
            throw new TinyImageException($"{hostPath}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Opens a file for parsing (a symlink is followed: nothing read here is copied), or returns null when it is empty
    /// or not a regular file: a FIFO or a device is never opened for reading, so this never blocks or reads forever.
    /// </summary>
    internal static SafeFileHandle? Open(string hostPath)
    {
        var target = hostPath;
        if (HostFileStatus.Of(hostPath) is { Kind: HostFileKind.Symlink })
        {
            InputRecorder.Observe(hostPath, followLinks: true); // what the links lead to now
            target = File.ResolveLinkTarget(hostPath, returnFinalTarget: true)?.FullName ?? hostPath;
        }
        var status = HostFileStatus.Of(target);
        if (status.Kind == HostFileKind.Missing) throw new TinyImageException($"{hostPath}: no such file");
        if (status.IsDirectory) throw new TinyImageException($"{hostPath}: is a directory, not an ELF file");
        if (!status.IsFile || status.Size == 0) return null;
        return RegularFile.OpenHandle(target);
    }

    internal static bool HasMagic(ReadOnlySpan<byte> b) =>
        b.Length >= 4 && b[0] == 0x7F && b[1] == (byte)'E' && b[2] == (byte)'L' && b[3] == (byte)'F';

    private sealed partial class Parser(string path, SafeFileHandle handle)
    {
        private readonly long _length = RandomAccess.GetLength(handle);
        private bool _is64;
        private bool _big;

        public ElfInfo Parse()
        {
            var (info, segments) = ReadHeaders();
            var dynamic = segments.FirstOrDefault(s => s.Type == PtDynamic);
            return dynamic is null ? info : ReadDynamic(info, dynamic, segments);
        }

        /// <summary>The ELF header and the program headers (with PT_INTERP read): what every reading of a file starts with.</summary>
        private (ElfInfo Info, List<Segment> Segments) ReadHeaders()
        {
            var header = new byte[64];
            var n = ReadAt(0, header);
            if (n < 4 || !HasMagic(header)) throw Fail("not an ELF file (bad magic)");
            if (n < 16) throw Fail("truncated ELF file (identification)");
            var cls = header[4];
            if (cls is not (1 or 2)) throw Fail($"invalid ELF class {cls}");
            var data = header[5];
            if (data is not (1 or 2)) throw Fail($"invalid ELF data encoding {data}");
            if (header[6] != 1) throw Fail($"unsupported ELF version {header[6]}");
            _is64 = cls == 2;
            _big = data == 2;
            var ehsize = _is64 ? 64 : 52;
            if (n < ehsize) throw Fail("truncated ELF file (ELF header)");

            var h = header.AsSpan();
            var type = U16(h[16..]);
            var machine = U16(h[18..]);
            ulong phoff, shoff;
            int phentsize, phnum, shentsize;
            if (_is64)
            {
                phoff = U64(h[32..]);
                shoff = U64(h[40..]);
                phentsize = U16(h[54..]);
                phnum = U16(h[56..]);
                shentsize = U16(h[58..]);
            }
            else
            {
                phoff = U32(h[28..]);
                shoff = U32(h[32..]);
                phentsize = U16(h[42..]);
                phnum = U16(h[44..]);
                shentsize = U16(h[46..]);
            }
            if (phnum == PnXnum) phnum = ExtendedPhnum(shoff, shentsize);

            var segments = ReadProgramHeaders(phoff, phentsize, phnum);
            var interp = segments.FirstOrDefault(s => s.Type == PtInterp);
            var dynamic = segments.FirstOrDefault(s => s.Type == PtDynamic);

            var info = new ElfInfo
            {
                Path = path,
                Class = (ElfClass)cls,
                Endianness = (ElfEndianness)data,
                Machine = machine,
                Type = (ElfFileType)type,
                OsAbi = header[7],
                Interpreter = interp is null ? null : ReadInterpreter(interp),
                HasDynamicSegment = dynamic is not null,
            };
            return (info, segments);
        }

        private int ExtendedPhnum(ulong shoff, int shentsize)
        {
            // PN_XNUM: the real count is sh_info of section header 0.
            var infoOffset = _is64 ? 44 : 28;
            if (shoff == 0 || shentsize < infoOffset + 4) throw Fail("invalid program header count (PN_XNUM without section header 0)");
            var buf = new byte[4];
            if (!Fits(shoff, (ulong)infoOffset + 4) || ReadAt((long)shoff + infoOffset, buf) != 4)
                throw Fail("truncated ELF file (section header 0 past end of file)");
            var count = U32(buf);
            if (count > int.MaxValue) throw Fail("invalid program header count");
            return (int)count;
        }

        private List<Segment> ReadProgramHeaders(ulong phoff, int phentsize, int phnum)
        {
            var segments = new List<Segment>();
            if (phnum == 0) return segments;
            var min = _is64 ? 56 : 32;
            if (phentsize < min) throw Fail($"invalid program header entry size {phentsize}");
            if (!Fits(phoff, (ulong)phnum * (ulong)phentsize))
                throw Fail("truncated ELF file (program headers past end of file)");
            var entry = new byte[min];
            for (var i = 0; i < phnum; i++)
            {
                if (ReadAt((long)phoff + (long)i * phentsize, entry) != min)
                    throw Fail("truncated ELF file (program headers past end of file)");
                var e = entry.AsSpan();
                segments.Add(_is64
                    ? new Segment(U32(e), U64(e[8..]), U64(e[16..]), U64(e[32..]), U32(e[4..]))
                    : new Segment(U32(e), U32(e[4..]), U32(e[8..]), U32(e[16..]), U32(e[24..])));
            }
            return segments;
        }

        private string ReadInterpreter(Segment interp)
        {
            if (!Fits(interp.Offset, interp.FileSize)) throw Fail("truncated ELF file (PT_INTERP past end of file)");
            if (interp.FileSize is 0 or > MaxInterpreterLength) throw Fail($"invalid PT_INTERP size {interp.FileSize}");
            var buf = new byte[(int)interp.FileSize];
            if (ReadAt((long)interp.Offset, buf) != buf.Length) throw Fail("truncated ELF file (PT_INTERP past end of file)");
            var nul = Array.IndexOf(buf, (byte)0);
            if (nul < 0) throw Fail("unterminated PT_INTERP string");
            if (nul == 0) throw Fail("empty PT_INTERP string");
            return Encoding.UTF8.GetString(buf, 0, nul);
        }

        /// <summary>The dynamic segment's entries (tag, value) up to DT_NULL.</summary>
        private DynamicEntries ReadDynamicEntries(Segment dynamic)
        {
            if (!Fits(dynamic.Offset, dynamic.FileSize)) throw Fail("truncated ELF file (dynamic segment past end of file)");
            var entsize = _is64 ? 16 : 8;
            var count = dynamic.FileSize / (ulong)entsize;
            if (count > MaxDynamicEntries) throw Fail($"dynamic segment too large ({count} entries)");
            var buf = new byte[(int)count * entsize];
            if (ReadAt((long)dynamic.Offset, buf) != buf.Length) throw Fail("truncated ELF file (dynamic segment past end of file)");
            var tags = new long[(int)count];
            var values = new ulong[(int)count];
            var n = 0;
            for (; n < (int)count; n++)
            {
                var e = buf.AsSpan(n * entsize, entsize);
                var tag = _is64 ? (long)U64(e) : (int)U32(e);
                if (tag == DtNull) break;
                (tags[n], values[n]) = (tag, _is64 ? U64(e[8..]) : U32(e[4..]));
            }
            return new DynamicEntries(tags, values, n);
        }

        /// <summary>The file offset of the address <paramref name="address"/>, through the PT_LOAD segment whose file bytes hold it.</summary>
        private ulong FileOffset(ulong address, List<Segment> segments, string what)
        {
            var load = segments.FirstOrDefault(s => s.Type == PtLoad && address >= s.VirtualAddress && address - s.VirtualAddress < s.FileSize)
                ?? throw Fail($"{what} address 0x{address:x} is outside every PT_LOAD segment");
            return load.Offset + (address - load.VirtualAddress);
        }

        /// <summary>The dynamic string table at <paramref name="strtab"/> (DT_STRTAB) of DT_STRSZ bytes (to the end of the file when absent).</summary>
        private StringTable OpenStringTable(ulong strtab, ulong? strsz, List<Segment> segments, long maxTotal, string what)
        {
            var tableOffset = FileOffset(strtab, segments, "DT_STRTAB");
            if (tableOffset >= (ulong)_length) throw Fail("truncated ELF file (dynamic string table past end of file)");
            var tableSize = strsz ?? (ulong)_length - tableOffset;
            if (!Fits(tableOffset, tableSize)) throw Fail("truncated ELF file (dynamic string table past end of file)");
            return new StringTable(this, tableOffset, tableSize, maxTotal, what);
        }

        private ElfInfo ReadDynamic(ElfInfo info, Segment dynamic, List<Segment> segments)
        {
            var needed = new List<ulong>();
            ulong? strtab = null, strsz = null, soname = null, rpath = null, runpath = null;
            ulong flags1 = 0;
            var entries = ReadDynamicEntries(dynamic);
            for (var i = 0; i < entries.Count; i++)
            {
                var (tag, val) = (entries.Tag(i), entries.Value(i));
                switch (tag)
                {
                    case DtNeeded: needed.Add(val); break;
                    case DtStrTab: strtab = val; break;
                    case DtStrSz: strsz = val; break;
                    case DtSoname: soname = val; break;
                    case DtRPath: rpath = val; break;
                    case DtRunPath: runpath = val; break;
                    case DtFlags1: flags1 = val; break;
                }
            }

            info = info with { NoDefaultLib = (flags1 & Df1NoDefLib) != 0, IsPie = (flags1 & Df1Pie) != 0 };
            if (needed.Count == 0 && soname is null && rpath is null && runpath is null) return info;
            if (strtab is not { } strAddr) throw Fail("dynamic segment has strings but no DT_STRTAB");
            var strings = OpenStringTable(strAddr, strsz, segments, MaxTotalStringLength, "dynamic strings (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH)");

            return info with
            {
                Needed = needed.Select(strings.Get).ToList(),
                Soname = soname is { } s ? strings.Get(s) : null,
                RPath = rpath is { } r ? strings.Get(r) : null,
                RunPath = runpath is { } u ? strings.Get(u) : null,
            };
        }

        /// <summary>
        /// The dynamic string table, read one string at a time into one buffer. The strings read from a
        /// file add up to at most <see cref="MaxTotalStringLength"/>: without that bound, 60,000 entries
        /// naming one long string would turn a 1 MB file into gigabytes of strings.
        /// </summary>
        /// <param name="maxTotal">At most this many bytes of strings are read from the table.</param>
        /// <param name="what">What the strings are, for the message when they exceed <paramref name="maxTotal"/>.</param>
        private sealed class StringTable(Parser parser, ulong offset, ulong size, long maxTotal, string what)
        {
            private readonly byte[] _buffer = new byte[MaxStringLength];
            private long _total;

            public string Get(ulong index)
            {
                if (index >= size) throw parser.Fail($"string offset {index} past end of dynamic string table");
                var buf = _buffer.AsSpan(0, (int)Math.Min((ulong)MaxStringLength, size - index));
                var n = parser.ReadAt((long)(offset + index), buf);
                var nul = buf[..n].IndexOf((byte)0);
                if (nul < 0) throw parser.Fail("unterminated string in dynamic string table");
                if ((_total += nul + 1) > maxTotal)
                    throw parser.Fail($"its {what} add up to more than {maxTotal >> 20} MiB, which no loadable file has");
                return Encoding.UTF8.GetString(buf[..nul]);
            }
        }

        private bool Fits(ulong offset, ulong size) =>
            offset <= (ulong)_length && size <= (ulong)_length - offset;

        private int ReadAt(long offset, Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer[total..], offset + total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }

        private ushort U16(ReadOnlySpan<byte> b) => _big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

        private uint U32(ReadOnlySpan<byte> b) => _big ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

        private ulong U64(ReadOnlySpan<byte> b) => _big ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);

        private TinyImageException Fail(string what) => new($"{path}: {what}");
    }

    private sealed record Segment(uint Type, ulong Offset, ulong VirtualAddress, ulong FileSize, uint Flags);

    /// <summary>
    /// The dynamic segment's entries in order, in arrays: a list or dictionary of (tag, value) pairs JIT-compiles its
    /// generic code at every start (issue 10).
    /// </summary>
    private sealed class DynamicEntries(long[] tags, ulong[] values, int count)
    {
        public int Count => count;

        public long Tag(int index) => tags[index];

        public ulong Value(int index) => values[index];

        /// <summary>The value of the first entry with <paramref name="tag"/>.</summary>
        public bool TryGetValue(long tag, out ulong value)
        {
            for (var i = 0; i < count; i++)
            {
                if (tags[i] != tag) continue;
                value = values[i];
                return true;
            }
            value = 0;
            return false;
        }
    }
}
