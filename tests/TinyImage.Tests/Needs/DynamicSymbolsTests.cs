using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Tests.Corpus;
using Xunit.Abstractions;

namespace TinyImage.Tests.Needs;

/// <summary>
/// <see cref="ElfReader.ReadImports"/> (dynamic segment, hash tables, DT_VERNEED) against ELFSharp (the .dynsym section)
/// on the host's programs and libraries, and against readelf for versions; <see cref="ElfReader.ReadStrings"/> on a
/// program built here.
/// </summary>
public sealed class DynamicSymbolsTests(ITestOutputHelper output)
{
    [Fact]
    public void ImportsAgreeWithElfSharpOnUsrBinAndLibraries()
    {
        var files = Directory.EnumerateFiles("/usr/bin").Concat(Directory.EnumerateFiles("/usr/lib/x86_64-linux-gnu", "*.so*"))
            .Select(HostRealPath.Of).OfType<string>().Distinct(StringComparer.Ordinal).Where(ElfReader.IsElf).Order(StringComparer.Ordinal).ToList();
        var differences = new List<string>();
        var compared = 0;
        var imports = 0;
        foreach (var path in files)
        {
            if (!ELFReader.TryLoad<ulong>(path, out var elf)) continue;
            using (elf)
            {
                if (!elf.TryGetSection(".dynsym", out var section) || section is not SymbolTable<ulong> table) continue;
                var theirs = table.Entries
                    .Where(e => e.PointedSectionIndex == 0 && e.Name.Length > 0 && e.Binding is SymbolBinding.Global or SymbolBinding.Weak)
                    .Select(e => $"{e.Name}{(e.Binding == SymbolBinding.Weak ? " weak" : "")}").ToList();
                List<string> ours;
                try
                {
                    ours = [.. ElfReader.ReadImports(path).Select(s => $"{s.Name}{(s.IsWeak ? " weak" : "")}")];
                }
                catch (TinyImageException e)
                {
                    differences.Add($"{path}: we cannot read it: {e.Message}");
                    continue;
                }
                compared++;
                imports += ours.Count;
                if (!ours.SequenceEqual(theirs))
                    differences.Add($"{path}: ours [{string.Join(", ", ours.Except(theirs).Take(5))}...] ELFSharp [{string.Join(", ", theirs.Except(ours).Take(5))}...] ({ours.Count} vs {theirs.Count})");
            }
        }
        output.WriteLine($"compared the imports of {compared} ELF files ({imports} symbols) with ELFSharp: {differences.Count} differences");
        Assert.True(compared > 300, $"only {compared} ELF files compared");
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    [Theory]
    [InlineData("/usr/bin/ls")]
    [InlineData("/usr/bin/ssh")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libcrypto.so.3")]
    public void VersionsAgreeWithReadelf(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing: the test needs a Debian x86_64 host with openssh-client");
        var readelf = LoaderOracle.Run("readelf", ["--dyn-syms", "-W", path]);
        Assert.Equal(0, readelf.ExitCode);
        // "    12: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND getpwuid@GLIBC_2.2.5 (2)"
        var theirs = readelf.StdOut.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 8 && f[6] == "UND" && f[4] is "GLOBAL" or "WEAK")
            .Select(f => f[7]).ToList();
        var ours = ElfReader.ReadImports(path).Select(s => s.ToString()).ToList();
        Assert.NotEmpty(ours);
        Assert.Equal(theirs, ours);
        Assert.Contains(ElfReader.ReadImports(path), s => s.Version is not null && s.Library == "libc.so.6");
    }

    [Fact]
    public void StringsOfReadOnlyDataAreFound()
    {
        using var dir = new Integration.TempDirectory();
        var source = dir.Combine("prog.c");
        File.WriteAllText(source, """
            #include <dlfcn.h>
            #include <stdlib.h>
            int main(void) { void *h = dlopen("libz.so.1", RTLD_NOW); system("true"); return h == 0; }
            """);
        var program = dir.Combine("prog");
        var gcc = LoaderOracle.Run("gcc", ["-o", program, source]);
        Assert.True(gcc.ExitCode == 0, gcc.StdErr);

        var strings = ElfReader.ReadStrings(program, s => s.Contains(".so", StringComparison.Ordinal) || s == "true", 10);
        Assert.Contains("libz.so.1", strings);
        Assert.Contains("true", strings);
        Assert.Equal(["libz.so.1"], ElfReader.ReadStrings(program, s => s.StartsWith("libz", StringComparison.Ordinal), 1));
        var names = ElfReader.ReadImports(program).Select(s => s.Name).ToList();
        Assert.Contains("dlopen", names);
        Assert.Contains("system", names);
    }
}
