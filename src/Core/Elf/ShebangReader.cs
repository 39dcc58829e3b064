using System.Text;

namespace TinyImage.Core.Elf;

/// <summary>Reads a script's <c>#!</c> line the way Linux's binfmt_script does.</summary>
public static class ShebangReader
{
    /// <summary>Linux reads this many bytes of a script (BINPRM_BUF_SIZE).</summary>
    private const int BufferSize = 256;

    /// <summary>
    /// Returns the interpreter and optional argument of the script at <paramref name="hostPath"/>,
    /// or null when the file does not start with <c>#!</c>. As in the kernel, everything after the
    /// interpreter up to the end of the line, trimmed, is one argument.
    /// </summary>
    public static Shebang? ReadInterpreter(string hostPath)
    {
        using var handle = ElfReader.Open(hostPath);
        if (handle is null) return null;
        var buf = new byte[BufferSize];
        var n = RandomAccess.Read(handle, buf, 0);
        if (n < 2 || buf[0] != '#' || buf[1] != '!') return null;

        var end = Array.IndexOf(buf, (byte)'\n', 0, n);
        var lineEnd = end < 0 ? n : end;
        var line = Encoding.UTF8.GetString(buf, 2, lineEnd - 2).Replace('\t', ' ').TrimEnd(' ', '\r', '\0').TrimStart(' ');
        if (line.Length == 0)
            throw new TinyImageException($"{hostPath}: the '#!' line names no interpreter");
        var space = line.IndexOf(' ');
        var interpreter = space < 0 ? line : line[..space];
        if (end < 0 && space < 0 && n == BufferSize)
            throw new TinyImageException($"{hostPath}: the '#!' line is longer than {BufferSize} bytes; Linux cannot run it");
        var argument = space < 0 ? null : line[(space + 1)..].Trim(' ');
        return new Shebang(interpreter, string.IsNullOrEmpty(argument) ? null : argument);
    }
}
