using TinyImage.Core.Elf;

namespace TinyImage.Core.FileSystem;

/// <summary>One link of an ELF needed-by chain: <paramref name="Requester"/> asked for <paramref name="Name"/>, and <paramref name="Rule"/> found it.</summary>
/// <param name="Name">The DT_NEEDED name (<c>libcurl.so.4</c>) or the PT_INTERP path.</param>
/// <param name="Requester">The path in the image of the object that asked (the loader's view: links not resolved).</param>
/// <param name="Rule">The search rule that found it.</param>
/// <param name="FoundIn">The search step in words, e.g. <c>default path /lib/x86_64-linux-gnu</c>; empty for an interpreter.</param>
public sealed record ElfNeed(string Name, string Requester, SearchRule Rule, string FoundIn)
{
    public string Describe() => Rule == SearchRule.Interpreter
        ? $"ELF interpreter of {Requester}"
        : $"{Name}, needed by {Requester}, found in {FoundIn}";
}
