using System.Collections.Immutable;
using System.Text;

namespace TinyImage.Core.Spec;

/// <summary>
/// Splits a command written as one string into arguments, with the shell's quoting rules ('…', "…",
/// backslash) but nothing else: an image has no shell to do it. <c>/bin/bash -c 'ls /bin'</c> gives
/// ["/bin/bash", "-c", "ls /bin"].
/// </summary>
public static class CommandLine
{
    public static ImmutableArray<string> Split(string command)
    {
        var args = ImmutableArray.CreateBuilder<string>();
        var current = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { args.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = command.IndexOf('\'', i + 1);
                    if (close < 0) throw new TinyImageException($"command '{command}': a ' quote is not closed");
                    current.Append(command, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i >= command.Length) throw new TinyImageException($"command '{command}': a \" quote is not closed");
                        if (command[i] == '"') break;
                        if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`') i++;
                        current.Append(command[i]);
                    }
                    break;
                case '\\' when i + 1 < command.Length:
                    current.Append(command[++i]);
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }
        if (inWord) args.Add(current.ToString());
        return args.ToImmutable();
    }
}
