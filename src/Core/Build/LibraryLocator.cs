using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Build;

/// <summary>
/// Finds a shared library by its SONAME the way ld.so finds a name that no RPATH or RUNPATH covers
/// (a <c>dlopen("libgcc_s.so.1")</c>): <see cref="ResolverOptions.LibraryPath"/>, the ld.so.conf
/// directories (standing in for ld.so.cache), then the default directories, each with its
/// glibc-hwcaps and legacy subdirectories, skipping files of another ELF class or machine than the
/// program it is for.
/// </summary>
public sealed class LibraryLocator
{
    private readonly ResolverOptions _options;

    public LibraryLocator(ResolverOptions options) => _options = options;

    /// <summary>
    /// The path inside the root at which the loader would open <paramref name="soname"/> for a
    /// process of <paramref name="program"/>'s machine, or null, with the directories searched.
    /// </summary>
    public (string? Path, IReadOnlyList<string> Searched) Find(string soname, ElfInfo program)
    {
        if (soname.Length == 0 || soname.Contains('/'))
            throw new TinyImageException($"'{soname}' is not a library name; give a SONAME such as libgcc_s.so.1");
        var defaults = LoaderDefaults.For(program, _options);
        var directories = _options.LibraryPath.Where(d => d.StartsWith('/') && !d.Contains('$'))
            .Concat(_options.LdSoConf is { } conf ? LdSoConf.ReadDirectories(_options.Files, conf) : [])
            .Concat(defaults.Directories)
            .Select(d => d.Length > 1 ? d.TrimEnd('/') : d)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var directory in directories)
            foreach (var probe in defaults.Subdirectories.Select(s => ImagePath.Combine(directory, s)).Append(directory))
            {
                var candidate = ImagePath.Combine(probe, soname);
                if (Matches(candidate, program)) return (candidate, directories);
            }
        return (null, directories);
    }

    private bool Matches(string candidate, ElfInfo program)
    {
        var resolved = _options.Files.Resolve(candidate);
        if (resolved is null) return false;
        var host = _options.Files.HostPath(resolved.Value.RealPath);
        if (!File.Exists(host) || !ElfReader.IsElf(host)) return false;
        var info = ElfReader.Read(host);
        return info.Class == program.Class && info.Machine == program.Machine;
    }
}
