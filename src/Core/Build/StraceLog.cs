using System.Text;
using System.Text.RegularExpressions;

namespace TinyImage.Core.Build;

/// <summary>
/// Reads the output of <c>strace -f -e trace=%file,execve -o FILE</c>: the absolute paths that
/// successful open, openat, openat2, execve and execveat calls named, and those that stat, lstat,
/// newfstatat, statx, access, faccessat and faccessat2 found (a program may check a file it never
/// opens: Python uses a cached .pyc only when its .py exists). Calls that failed, opened for
/// writing, opened a directory, or named a relative path are left out. Calls split by
/// <c>&lt;unfinished ...&gt;</c> and <c>&lt;... resumed&gt;</c> are joined per process.
/// </summary>
public static partial class StraceLog
{
    /// <summary>The files in <paramref name="lines"/>, each once, in the order first seen.</summary>
    public static IReadOnlyList<TracedFile> Parse(IEnumerable<string> lines)
    {
        var pending = new Dictionary<string, (string Call, string Args)>(StringComparer.Ordinal);
        var result = new List<TracedFile>();
        var seen = new HashSet<(string, bool)>();
        foreach (var line in lines)
        {
            string pid, call, args, ret;
            if (Unfinished().Match(line) is { Success: true } u)
            {
                pending[u.Groups["pid"].Value] = (u.Groups["call"].Value, u.Groups["args"].Value);
                continue;
            }
            if (Resumed().Match(line) is { Success: true } r)
            {
                pid = r.Groups["pid"].Value;
                if (!pending.Remove(pid, out var start) || start.Call != r.Groups["call"].Value) continue;
                (call, args, ret) = (start.Call, start.Args + r.Groups["args"].Value, r.Groups["ret"].Value);
            }
            else if (Complete().Match(line) is { Success: true } c)
                (call, args, ret) = (c.Groups["call"].Value, c.Groups["args"].Value, c.Groups["ret"].Value);
            else
                continue;

            if (!long.TryParse(ret, out var value) || value < 0) continue;
            if (ToFile(call, args) is { } file && seen.Add((file.Path, file.Executed))) result.Add(file);
        }
        return result;
    }

    private static TracedFile? ToFile(string call, string args)
    {
        var executed = call is "execve" or "execveat";
        var opens = call is "open" or "openat" or "openat2";
        var rest = args;
        if (call is "openat" or "openat2" or "execveat" or "newfstatat" or "statx" or "faccessat" or "faccessat2")
        {
            var comma = rest.IndexOf(',');
            if (comma < 0) return null;
            rest = rest[(comma + 1)..].TrimStart();
        }
        else if (call is not ("open" or "execve" or "stat" or "lstat" or "access"))
            return null;
        if (ReadString(rest, out var end) is not { } path || !path.StartsWith('/')) return null;
        if (opens)
        {
            var flags = rest[end..];
            if (flags.Contains("O_WRONLY", StringComparison.Ordinal) || flags.Contains("O_RDWR", StringComparison.Ordinal) ||
                flags.Contains("O_CREAT", StringComparison.Ordinal) || flags.Contains("O_DIRECTORY", StringComparison.Ordinal))
                return null;
        }
        return new TracedFile(path, executed);
    }

    /// <summary>Reads a C string literal as strace prints it (with \\, \", \n, \t, \xHH and octal escapes) at the start of <paramref name="text"/>.</summary>
    internal static string? ReadString(string text, out int end)
    {
        end = 0;
        if (text.Length == 0 || text[0] != '"') return null;
        var bytes = new List<byte>();
        for (var i = 1; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == '"')
            {
                end = i + 1;
                return Encoding.UTF8.GetString(bytes.ToArray());
            }
            if (ch != '\\' || i + 1 >= text.Length)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'v': bytes.Add((byte)'\v'); break;
                case 'f': bytes.Add((byte)'\f'); break;
                case 'x' when i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]):
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    var digits = 1;
                    while (digits < 3 && i + digits < text.Length && text[i + digits] is >= '0' and <= '7') digits++;
                    bytes.Add((byte)Convert.ToInt32(text.Substring(i, digits), 8));
                    i += digits - 1;
                    break;
                default: bytes.AddRange(Encoding.UTF8.GetBytes(next.ToString())); break;
            }
        }
        return null; // unterminated (strace cut it off)
    }

    [GeneratedRegex(@"^(?:(?<pid>\d+)\s+)?(?<call>[a-z0-9_]+)\((?<args>.*)\)\s+=\s+(?<ret>-?\d+|\?)")]
    private static partial Regex Complete();

    [GeneratedRegex(@"^(?:(?<pid>\d+)\s+)?(?<call>[a-z0-9_]+)\((?<args>.*?)\s*<unfinished \.\.\.>\s*$")]
    private static partial Regex Unfinished();

    [GeneratedRegex(@"^(?:(?<pid>\d+)\s+)?<\.\.\. (?<call>[a-z0-9_]+) resumed>(?<args>.*)\)\s+=\s+(?<ret>-?\d+|\?)")]
    private static partial Regex Resumed();
}
