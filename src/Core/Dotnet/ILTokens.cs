using System.Buffers.Binary;

namespace TinyImage.Core.Dotnet;

/// <summary>The metadata tokens a method body's IL names (ECMA-335 partition III): types, methods, fields, signatures; not strings.</summary>
public static class ILTokens
{
    // Operand kinds of the one-byte opcodes (0x00-0xE0) and of the two-byte ones (0xFE 0x00-0x1E).
    private const byte None = 0, Byte = 1, Short = 2, Int = 4, Long = 8, Token = 5, Switch = 6, Invalid = 7;

    private static readonly byte[] OneByte = OneByteOperands();
    private static readonly byte[] TwoByte = TwoByteOperands();

    /// <summary>The tokens in <paramref name="il"/>, in order; a malformed body ends the list where it stops making sense.</summary>
    public static List<int> Of(ReadOnlySpan<byte> il)
    {
        var tokens = new List<int>();
        var at = 0;
        while (at < il.Length)
        {
            int code = il[at++];
            byte operand;
            if (code == 0xFE)
            {
                if (at == il.Length) break;
                var second = il[at++];
                operand = second < TwoByte.Length ? TwoByte[second] : Invalid;
            }
            else
            {
                operand = code < OneByte.Length ? OneByte[code] : Invalid;
            }
            var size = operand switch { Token or Switch => 4, Invalid => -1, _ => operand };
            if (size < 0 || il.Length - at < size) break;
            if (operand == Token && code != 0x72) // ldstr names a string
                tokens.Add(BinaryPrimitives.ReadInt32LittleEndian(il[at..]));
            if (operand == Switch)
            {
                var targets = BinaryPrimitives.ReadUInt32LittleEndian(il[at..]);
                if (targets > (uint)(il.Length - at - 4) / 4) break;
                size += (int)targets * 4;
            }
            at += size;
        }
        return tokens;
    }

    private static byte[] OneByteOperands()
    {
        var table = new byte[0xE1];
        void Set(int from, int to, byte operand)
        {
            for (var code = from; code <= to; code++) table[code] = operand;
        }
        Set(0x0E, 0x13, Byte);          // ldarg.s .. stloc.s
        Set(0x1F, 0x1F, Byte);          // ldc.i4.s
        Set(0x20, 0x20, Int);           // ldc.i4
        Set(0x21, 0x21, Long);          // ldc.i8
        Set(0x22, 0x22, Int);           // ldc.r4
        Set(0x23, 0x23, Long);          // ldc.r8
        Set(0x24, 0x24, Invalid);
        Set(0x27, 0x29, Token);         // jmp, call, calli
        Set(0x2B, 0x37, Byte);          // short branches
        Set(0x38, 0x44, Int);           // branches
        Set(0x45, 0x45, Switch);
        Set(0x6F, 0x75, Token);         // callvirt, cpobj, ldobj, ldstr, newobj, castclass, isinst
        Set(0x77, 0x78, Invalid);
        Set(0x79, 0x79, Token);         // unbox
        Set(0x7B, 0x81, Token);         // ldfld .. stsfld, stobj
        Set(0x8C, 0x8D, Token);         // box, newarr
        Set(0x8F, 0x8F, Token);         // ldelema
        Set(0xA3, 0xA5, Token);         // ldelem, stelem, unbox.any
        Set(0xA6, 0xB2, Invalid);
        Set(0xBB, 0xC1, Invalid);
        Set(0xC2, 0xC2, Token);         // refanyval
        Set(0xC4, 0xC5, Invalid);
        Set(0xC6, 0xC6, Token);         // mkrefany
        Set(0xC7, 0xCF, Invalid);
        Set(0xD0, 0xD0, Token);         // ldtoken
        Set(0xDD, 0xDD, Int);           // leave
        Set(0xDE, 0xDE, Byte);          // leave.s
        return table;
    }

    private static byte[] TwoByteOperands()
    {
        var table = new byte[0x1F];
        table[0x06] = table[0x07] = Token;                                                               // ldftn, ldvirtftn
        table[0x08] = table[0x10] = table[0x1B] = Invalid;
        table[0x09] = table[0x0A] = table[0x0B] = table[0x0C] = table[0x0D] = table[0x0E] = Short;       // ldarg .. stloc
        table[0x12] = table[0x19] = Byte;                                                                // unaligned., no.
        table[0x15] = table[0x16] = table[0x1C] = Token;                                                 // initobj, constrained., sizeof
        return table;
    }
}
