using System.Text;

namespace TinyImage.Core.Elf;

/// <summary>
/// What a file asks of the system at run time beyond DT_NEEDED: the symbols it imports (the undefined entries of its
/// dynamic symbol table, with their DT_VERNEED versions) and strings of its read-only segments. Both are found as the
/// loader finds them, through the dynamic segment (DT_SYMTAB, DT_HASH or DT_GNU_HASH for the count, DT_VERSYM,
/// DT_VERNEED), never through section headers; every count and size read from the file is bounded.
/// </summary>
public static partial class ElfReader
{
    private const long DtHash = 4, DtSymTab = 6, DtSymEnt = 11, DtGnuHash = 0x6ffffef5, DtVerSym = 0x6ffffff0, DtVerNeed = 0x6ffffffe, DtVerNeedNum = 0x6fffffff;
    private const int MaxSymbols = 1 << 20;

    // Dynamic tags whose value is the address of a table: DT_PLTGOT, DT_HASH, DT_STRTAB, DT_RELA, DT_INIT, DT_FINI,
    // DT_REL, DT_JMPREL, DT_INIT_ARRAY, DT_FINI_ARRAY, DT_GNU_HASH, DT_VERSYM, DT_VERDEF, DT_VERNEED.
    private static bool IsAddressTag(long tag) => tag is 3 or 4 or 5 or 7 or 12 or 13 or 17 or 23 or 25 or 26 or DtGnuHash or DtVerSym or 0x6ffffffc or DtVerNeed;
    private const int MaxVersionEntries = 1 << 12;
    private const long MaxSymbolNameBytes = 16 << 20;
    private const int MaxScannedString = 255;
    private const uint PfW = 2;

    /// <summary>
    /// The symbols <paramref name="hostPath"/> imports (undefined, global or weak, with a name), in symbol-table order;
    /// empty for a static file. Throws <see cref="TinyImageException"/> when the file is missing, not ELF, or malformed.
    /// </summary>
    public static IReadOnlyList<ImportedSymbol> ReadImports(string hostPath) =>
        WithParser(hostPath, parser => parser.ParseImports());

    /// <summary>
    /// The NUL-terminated runs of printable ASCII (4 to 255 characters) in the read-only PT_LOAD segments of
    /// <paramref name="hostPath"/> (string constants: <c>"/bin/sh"</c>, <c>"libz.so.1"</c>) that <paramref name="keep"/>
    /// accepts, each once, at most <paramref name="maxStrings"/>; read in chunks, never the whole file at once.
    /// </summary>
    public static IReadOnlyList<string> ReadStrings(string hostPath, Func<string, bool> keep, int maxStrings) =>
        WithParser(hostPath, parser => parser.ParseStrings(keep, maxStrings));

    private static T WithParser<T>(string hostPath, Func<Parser, T> read)
    {
        using var handle = Open(hostPath)
            ?? throw new TinyImageException($"{hostPath}: not an ELF file (empty, or not a regular file)");
        try
        {
            return read(new Parser(hostPath, handle));
        }
        catch (IOException e)
        {
            throw new TinyImageException($"{hostPath}: cannot read: {e.Message}", e);
        }
    }

    private sealed partial class Parser
    {
        public List<ImportedSymbol> ParseImports()
        {
            var (_, segments) = ReadHeaders();
            var result = new List<ImportedSymbol>();
            if (segments.FirstOrDefault(s => s.Type == PtDynamic) is not { } dynamic) return result;
            var tags = ReadDynamicEntries(dynamic);
            if (!tags.TryGetValue(DtSymTab, out var symtab) || !tags.TryGetValue(DtStrTab, out var strtab)) return result;

            var entrySize = _is64 ? 24 : 16;
            if (tags.TryGetValue(DtSymEnt, out var syment) && syment != (ulong)entrySize) throw Fail($"invalid DT_SYMENT {syment}");
            var count = SymbolCount(tags, segments, symtab, entrySize);
            if (count == 0) return result;
            var tableOffset = FileOffset(symtab, segments, "DT_SYMTAB");
            if (!Fits(tableOffset, (ulong)count * (ulong)entrySize)) throw Fail("truncated ELF file (dynamic symbol table past end of file)");
            var strings = OpenStringTable(strtab, tags.TryGetValue(DtStrSz, out var strsz) ? strsz : null, segments, MaxSymbolNameBytes, "imported symbol names");
            var versions = ReadVersionNeeds(tags, segments, strings);
            var versym = versions.Count > 0 && tags.TryGetValue(DtVerSym, out var versymAddress) ? FileOffset(versymAddress, segments, "DT_VERSYM") : (ulong?)null;
            if (versym is { } versymOffset && !Fits(versymOffset, (ulong)count * 2)) throw Fail("truncated ELF file (DT_VERSYM past end of file)");

            const int chunk = 1024;
            var buffer = new byte[chunk * entrySize];
            var indexes = new byte[chunk * 2];
            for (var first = 0; first < count; first += chunk)
            {
                var n = Math.Min(chunk, count - first);
                var bytes = buffer.AsSpan(0, n * entrySize);
                if (ReadAt((long)tableOffset + (long)first * entrySize, bytes) != bytes.Length) throw Fail("truncated ELF file (dynamic symbol table past end of file)");
                if (versym is { } at && ReadAt((long)at + first * 2L, indexes.AsSpan(0, n * 2)) != n * 2) throw Fail("truncated ELF file (DT_VERSYM past end of file)");
                for (var i = 0; i < n; i++)
                {
                    var e = bytes.Slice(i * entrySize, entrySize);
                    var name = U32(e);
                    var info = _is64 ? e[4] : e[12];
                    var section = _is64 ? U16(e[6..]) : U16(e[14..]);
                    var binding = info >> 4;
                    if (section != 0 || name == 0 || binding is not (1 or 2)) continue; // defined, unnamed, or local
                    (string Name, string Library)? version = versym is not null && versions.TryGetValue(U16(indexes.AsSpan(i * 2)) & 0x7FFF, out var v) ? v : null;
                    result.Add(new ImportedSymbol(strings.Get(name), version?.Name, version?.Library, binding == 2));
                }
            }
            return result;
        }

        /// <summary>
        /// How many entries the dynamic symbol table has: DT_HASH's nchain, else the highest index DT_GNU_HASH reaches
        /// (its last chain), else (no table, or a GNU table of no symbol) the distance from DT_SYMTAB to the next table the dynamic segment names.
        /// </summary>
        private int SymbolCount(DynamicEntries tags, List<Segment> segments, ulong symtab, int entrySize)
        {
            var word = new byte[4];
            ulong count;
            if (tags.TryGetValue(DtHash, out var hash))
            {
                var offset = FileOffset(hash, segments, "DT_HASH");
                if (!Fits(offset, 8) || ReadAt((long)offset + 4, word) != 4) throw Fail("truncated ELF file (DT_HASH past end of file)");
                count = U32(word);
            }
            else if (tags.TryGetValue(DtGnuHash, out var gnuHash) && GnuHashCount(FileOffset(gnuHash, segments, "DT_GNU_HASH")) is { } hashed)
            {
                count = hashed;
            }
            else
            {
                // The table ends where the next table the dynamic segment points to begins (.dynstr, .gnu.version...).
                // Each tag's first entry counts, as TryGetValue reads it.
                var end = symtab;
                var found = false;
                var seen = new HashSet<long>();
                for (var i = 0; i < tags.Count; i++)
                {
                    var (tag, value) = (tags.Tag(i), tags.Value(i));
                    if (!seen.Add(tag) || !IsAddressTag(tag) || value <= symtab || (found && value >= end)) continue;
                    (end, found) = (value, true);
                }
                count = (end - symtab) / (ulong)entrySize;
            }
            if (count > MaxSymbols) throw Fail($"dynamic symbol table too large ({count} entries)");
            return (int)count;
        }

        /// <summary>The symbol count DT_GNU_HASH gives, or null when it hashes no symbol (then only undefined ones exist, and it cannot tell how many).</summary>
        private ulong? GnuHashCount(ulong offset)
        {
            var header = new byte[16];
            if (!Fits(offset, 16) || ReadAt((long)offset, header) != 16) throw Fail("truncated ELF file (DT_GNU_HASH past end of file)");
            ulong buckets = U32(header), symbolOffset = U32(header.AsSpan(4)), bloomWords = U32(header.AsSpan(8));
            if (buckets > MaxSymbols || bloomWords > MaxSymbols || symbolOffset > MaxSymbols) throw Fail("invalid DT_GNU_HASH header");
            var bucketOffset = offset + 16 + bloomWords * (_is64 ? 8UL : 4UL);
            if (!Fits(bucketOffset, buckets * 4)) throw Fail("truncated ELF file (DT_GNU_HASH past end of file)");
            var word = new byte[4];
            ulong highest = 0;
            var chunk = new byte[4096];
            for (ulong read = 0; read < buckets * 4; read += (ulong)chunk.Length)
            {
                var n = (int)Math.Min((ulong)chunk.Length, buckets * 4 - read);
                ReadAt((long)(bucketOffset + read), chunk.AsSpan(0, n));
                for (var i = 0; i < n; i += 4) highest = Math.Max(highest, U32(chunk.AsSpan(i)));
            }
            if (highest == 0) return null;
            if (highest < symbolOffset) return symbolOffset;
            var chainOffset = bucketOffset + buckets * 4;
            for (var index = highest; ; index++)
            {
                if (index >= MaxSymbols) throw Fail("DT_GNU_HASH chain does not end");
                var at = chainOffset + (index - symbolOffset) * 4;
                if (!Fits(at, 4) || ReadAt((long)at, word) != 4) throw Fail("truncated ELF file (DT_GNU_HASH chain past end of file)");
                if ((U32(word) & 1) != 0) return index + 1;
            }
        }

        /// <summary>DT_VERNEED: each needed version's index (as DT_VERSYM gives it) with its name and library.</summary>
        private Dictionary<int, (string Name, string Library)> ReadVersionNeeds(DynamicEntries tags, List<Segment> segments, StringTable strings)
        {
            var result = new Dictionary<int, (string, string)>();
            if (!tags.TryGetValue(DtVerNeed, out var verneed) || !tags.TryGetValue(DtVerNeedNum, out var number)) return result;
            if (number > MaxVersionEntries) throw Fail($"too many DT_VERNEED entries ({number})");
            var offset = FileOffset(verneed, segments, "DT_VERNEED");
            var entry = new byte[16];
            var seen = 0;
            for (ulong i = 0; i < number; i++)
            {
                if (!Fits(offset, 16) || ReadAt((long)offset, entry) != 16) throw Fail("truncated ELF file (DT_VERNEED past end of file)");
                var auxCount = U16(entry.AsSpan(2));
                var library = strings.Get(U32(entry.AsSpan(4)));
                var aux = offset + U32(entry.AsSpan(8));
                var auxEntry = new byte[16];
                for (var j = 0; j < auxCount; j++)
                {
                    if (++seen > MaxVersionEntries) throw Fail("too many DT_VERNEED versions");
                    if (!Fits(aux, 16) || ReadAt((long)aux, auxEntry) != 16) throw Fail("truncated ELF file (DT_VERNEED version past end of file)");
                    result.TryAdd(U16(auxEntry.AsSpan(6)) & 0x7FFF, (strings.Get(U32(auxEntry.AsSpan(8))), library));
                    var nextAux = U32(auxEntry.AsSpan(12));
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                var next = U32(entry.AsSpan(12));
                if (next == 0) break;
                offset += next;
            }
            return result;
        }

        public List<string> ParseStrings(Func<string, bool> keep, int maxStrings)
        {
            var (_, segments) = ReadHeaders();
            var found = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var buffer = new byte[64 * 1024];
            var current = new StringBuilder();
            foreach (var segment in segments.Where(s => s.Type == PtLoad && (s.Flags & PfW) == 0))
            {
                if (!Fits(segment.Offset, segment.FileSize)) throw Fail("truncated ELF file (PT_LOAD segment past end of file)");
                current.Clear();
                var tooLong = false;
                for (ulong read = 0; read < segment.FileSize; read += (ulong)buffer.Length)
                {
                    var n = (int)Math.Min((ulong)buffer.Length, segment.FileSize - read);
                    n = ReadAt((long)(segment.Offset + read), buffer.AsSpan(0, n));
                    for (var i = 0; i < n; i++)
                    {
                        var b = buffer[i];
                        if (b is >= 0x20 and < 0x7F)
                        {
                            if (current.Length < MaxScannedString) current.Append((char)b);
                            else tooLong = true;
                            continue;
                        }
                        if (b == 0 && !tooLong && current.Length >= 4)
                        {
                            var text = current.ToString();
                            if (!seen.Contains(text) && keep(text))
                            {
                                seen.Add(text);
                                found.Add(text);
                                if (found.Count >= maxStrings) return found;
                            }
                        }
                        current.Clear();
                        tooLong = false;
                    }
                }
            }
            return found;
        }
    }
}
