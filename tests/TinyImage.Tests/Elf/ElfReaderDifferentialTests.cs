using System.Text;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Tests.Corpus;
using Xunit.Abstractions;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Our ElfReader (program headers only) against ELFSharp (section headers) on every ELF file of
/// /usr/bin: class, machine, type, PT_INTERP, DT_NEEDED, DT_RUNPATH, DT_RPATH and DT_SONAME agree.
/// </summary>
public sealed class ElfReaderDifferentialTests(ITestOutputHelper output)
{
    private const ulong DtNeeded = 1, DtStrTab = 5, DtSoname = 14, DtRPath = 15, DtRunPath = 29;

    [Fact]
    public void ReaderAgreesWithElfSharpOnUsrBin()
    {
        var files = Directory.EnumerateFiles("/usr/bin").Select(HostRealPath.Of).OfType<string>()
            .Distinct(StringComparer.Ordinal).Where(ElfReader.IsElf).Order(StringComparer.Ordinal).ToList();
        var differences = new List<string>();
        var elfSharpFailed = new List<string>();
        var compared = 0;
        foreach (var path in files)
        {
            ElfInfo ours;
            try
            {
                ours = ElfReader.Read(path);
            }
            catch (TinyImageException e)
            {
                differences.Add($"{path}: we cannot read it: {e.Message}");
                continue;
            }
            if (!ELFReader.TryLoad<ulong>(path, out var elf))
            {
                elfSharpFailed.Add(path);
                continue;
            }
            using (elf)
            {
                compared++;
                var theirs = Describe(elf);
                var mine = $"class={(int)ours.Class} machine={ours.Machine} type={(int)ours.Type} interp={ours.Interpreter} " +
                           $"needed=[{string.Join(",", ours.Needed)}] runpath={ours.RunPath} rpath={ours.RPath} soname={ours.Soname}";
                if (mine != theirs) differences.Add($"{path}:\n  ours     {mine}\n  ELFSharp {theirs}");
            }
        }
        output.WriteLine($"compared {compared} ELF files of /usr/bin with ELFSharp: {differences.Count} differences; ELFSharp could not load {elfSharpFailed.Count}");
        foreach (var f in elfSharpFailed) output.WriteLine($"  ELFSharp cannot load {f}");
        Assert.True(compared > 100, $"only {compared} ELF files compared in /usr/bin");
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    private static string Describe(ELF<ulong> elf)
    {
        var interp = elf.Segments.FirstOrDefault(s => s.Type == SegmentType.Interpreter) is { } segment
            ? Encoding.UTF8.GetString(segment.GetFileContents()).TrimEnd('\0')
            : null;
        var entries = elf.GetSections<DynamicSection<ulong>>().FirstOrDefault()?.Entries.ToList() ?? [];
        string? Str(ulong offset)
        {
            var strtab = entries.First(e => (ulong)e.Tag == DtStrTab).Value;
            var table = elf.GetSections<StringTable<ulong>>().First(t => t.LoadAddress == strtab);
            return table[(long)offset];
        }
        string? One(ulong tag) => entries.FirstOrDefault(e => (ulong)e.Tag == tag) is { } e ? Str(e.Value) : null;
        var needed = entries.Where(e => (ulong)e.Tag == DtNeeded).Select(e => Str(e.Value));
        return $"class={(elf.Class == Class.Bit64 ? 2 : 1)} machine={(ushort)elf.Machine} type={(int)elf.Type} interp={interp} " +
               $"needed=[{string.Join(",", needed)}] runpath={One(DtRunPath)} rpath={One(DtRPath)} soname={One(DtSoname)}";
    }
}
