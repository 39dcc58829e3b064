using System.Buffers.Binary;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Structure-aware mutations of one real ELF file for fuzzing: extreme or off-by-one values in ELF
/// header, program header and dynamic entry fields, dynamic tags swapped for the ones the reader
/// follows, string table and PT_INTERP bytes without their NUL, class or byte order flipped,
/// truncation, and random bytes. Each input gets one to three of them.
/// </summary>
public sealed class ElfMutator(byte[] original)
{
    /// <summary>The names of the mutation kinds, for counts.</summary>
    public static readonly string[] Kinds =
        ["truncate", "random bytes in the headers", "random bytes anywhere", "ELF header field", "program header field",
         "program header type", "dynamic tag", "dynamic value", "string table", "PT_INTERP", "class or byte order"];

    private readonly ElfLayout _layout = ElfLayout.Of(original);

    public byte[] Original => original;

    /// <summary>A mutated copy and the kinds applied (indexes into <see cref="Kinds"/>) with a description.</summary>
    public (byte[] Bytes, List<int> Kinds, string How) Mutate(Random random)
    {
        var bytes = (byte[])original.Clone();
        var kinds = new List<int>();
        var how = new List<string>();
        var count = random.Next(4) == 0 ? random.Next(2, 4) : 1;
        for (var i = 0; i < count; i++)
        {
            var kind = random.Next(Kinds.Length);
            kinds.Add(kind);
            how.Add(Apply(ref bytes, kind, random));
        }
        return (bytes, kinds, string.Join("; ", how));
    }

    private string Apply(ref byte[] bytes, int kind, Random random)
    {
        var l = _layout;
        if (bytes.Length < 8) return "(too short to mutate)";
        switch (kind)
        {
            case 0:
            {
                var length = random.Next(3) switch { 0 => random.Next(Math.Min(bytes.Length, 128)), 1 => random.Next(Math.Min(bytes.Length, 8192)), _ => random.Next(bytes.Length) };
                bytes = bytes[..length];
                return $"truncated at {length}";
            }
            case 1 or 2:
            {
                var limit = kind == 1 ? Math.Min(bytes.Length, 4096) : bytes.Length;
                var n = random.Next(1, 9);
                for (var j = 0; j < n; j++) bytes[random.Next(limit)] = (byte)random.Next(256);
                return $"{n} random bytes in the first {limit}";
            }
            case 3:
            {
                var (at, width) = l.HeaderFields[random.Next(l.HeaderFields.Count)];
                return Write(bytes, at, width, Value(random, bytes.Length));
            }
            case 4 when l.ProgramHeaders.Count > 0:
            {
                var (at, width) = l.ProgramHeaderFields[random.Next(l.ProgramHeaderFields.Count)];
                return Write(bytes, l.ProgramHeaders[random.Next(l.ProgramHeaders.Count)] + at, width, Value(random, bytes.Length));
            }
            case 5 when l.ProgramHeaders.Count > 0:
            {
                ulong[] types = [0, 1, 2, 3, 6, 0x6474e551, (ulong)random.Next()];
                return Write(bytes, l.ProgramHeaders[random.Next(l.ProgramHeaders.Count)], 4, types[random.Next(types.Length)]);
            }
            case 6 when l.DynamicEntries.Count > 0:
            {
                // DT_NULL, NEEDED, STRTAB, STRSZ, SONAME, RPATH, RUNPATH, FLAGS_1, DEBUG, or anything.
                ulong[] tags = [0, 1, 5, 10, 14, 15, 29, 0x6ffffffb, 21, (ulong)random.NextInt64()];
                return Write(bytes, l.DynamicEntries[random.Next(l.DynamicEntries.Count)], l.Word, tags[random.Next(tags.Length)]);
            }
            case 7 when l.DynamicEntries.Count > 0:
            {
                var size = (ulong)l.Strings.Size;
                ulong[] near = [size - 1, size, size + 1, (ulong)random.Next(l.Strings.Size + 1)];
                var value = random.Next(2) == 0 ? near[random.Next(near.Length)] : Value(random, bytes.Length);
                return Write(bytes, l.DynamicEntries[random.Next(l.DynamicEntries.Count)] + l.Word, l.Word, value);
            }
            case 8 when l.Strings.Size > 0:
            {
                // Strings run into each other (NULs replaced) or get random bytes.
                var at = l.Strings.Offset + random.Next(l.Strings.Size);
                var length = Math.Min(random.Next(1, 256), bytes.Length - at);
                var fill = random.Next(2) == 0 ? (byte)'A' : (byte)0;
                for (var j = 0; j < length; j++) bytes[at + j] = fill == 0 ? (byte)random.Next(256) : fill;
                return $"{length} string table bytes at {at} {(fill == 0 ? "randomised" : "without NULs")}";
            }
            case 9 when l.Interpreter.Size > 0:
            {
                var end = Math.Min(l.Interpreter.Offset + l.Interpreter.Size, bytes.Length);
                for (var j = l.Interpreter.Offset; j < end; j++) if (bytes[j] == 0) bytes[j] = (byte)'/';
                return "PT_INTERP without its NUL";
            }
            case 10:
            {
                var at = random.Next(4, 6);
                bytes[at] = (byte)(random.Next(3) switch { 0 => 3 - bytes[at], 1 => 0, _ => random.Next(256) });
                return $"{(at == 4 ? "EI_CLASS" : "EI_DATA")} = {bytes[at]}";
            }
            default:
                return Apply(ref bytes, 2, random);
        }
    }

    /// <summary>A value that tends to break parsers: zero, one, around a power of two, the file's length, the largest values, or random.</summary>
    private static ulong Value(Random random, int length)
    {
        ulong[] values = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000,
            long.MaxValue, ulong.MaxValue, (ulong)length - 1, (ulong)length, (ulong)length + 1, (ulong)random.NextInt64(), (ulong)random.Next(length)];
        return values[random.Next(values.Length)];
    }

    private static string Write(byte[] bytes, int at, int width, ulong value)
    {
        if (at < 0 || at + width > bytes.Length) return $"(field at {at} past the end)";
        switch (width)
        {
            case 1: bytes[at] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), value); break;
        }
        return $"0x{value:x} in the {width}-byte field at {at}";
    }
}
