using System.Text.RegularExpressions;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Presets;

namespace TinyImage.Core.Needs;

/// <summary>
/// Reads what ELF files need at run time (see <see cref="RuntimeNeedTable"/>) from their imported symbols, and from
/// their read-only strings where the symbols alone do not say: the libraries a file that imports dlopen names (found
/// in the root as ld.so would), the character sets a file that imports iconv_open names (known to the root's gconv
/// configuration), "/bin/sh" in a file that imports an exec function. Only programs' dlopen and iconv_open count. Files it cannot read are left out: the build
/// already took them as they are.
/// </summary>
/// <param name="strings">Where the string constants a file may name a need with are remembered between builds, under
/// its stamp (<see cref="FileHashMemo"/>); null: every file is read each time.</param>
public sealed partial class RuntimeNeedScanner(ResolverOptions options, FileHashMemo? strings = null)
{
    private const int MaxStringsPerFile = 64;
    private const int MaxCharsets = 8;

    /// <summary>The most string constants of a file remembered (python3 has some 15,000); a file with more is read each time.</summary>
    private const int MaxRemembered = 32_768;

    /// <summary>The longest string constant <see cref="ElfReader.ReadStrings"/> gives.</summary>
    private const int MaxStringLength = 255;

    /// <summary>Part of every entry's key: change it whenever <see cref="MayName"/> or what a scan may keep changes, or entries made before are believed.</summary>
    private const string RememberedKind = "tinyimage-elf-need-strings-1";

    private readonly LibraryLocator _locator = new(options);
    private readonly Dictionary<string, GconvModules?> _gconv = new(StringComparer.Ordinal);

    /// <summary>
    /// The needs of <paramref name="files"/> (paths in the image and the host files they are read from): per file, one per
    /// kind and detail, in the order of <see cref="RuntimeNeedKind"/>; programs' needs first (files with a loader and no SONAME), then libraries'.
    /// </summary>
    public IReadOnlyList<RuntimeNeed> Scan(IEnumerable<(string ImagePath, string HostPath)> files)
    {
        // Lists of a reference type and no sort keyed by a value type: their generic code is precompiled (issue 10).
        var programs = new List<RuntimeNeed>();
        var libraries = new List<RuntimeNeed>();
        foreach (var (imagePath, hostPath) in files)
        {
            ElfInfo info;
            IReadOnlyList<ImportedSymbol> imports;
            try
            {
                info = ElfReader.Read(hostPath);
                imports = ElfReader.ReadImports(hostPath);
            }
            catch (TinyImageException)
            {
                continue;
            }
            if (!StartChecks.IsLoadable(info)) continue;
            var isProgram = info.Interpreter is not null && info.Soname is null;
            AddInKindOrder(isProgram ? programs : libraries, [.. Needs(imagePath, hostPath, info, imports, isProgram)]);
        }
        return [.. programs, .. libraries];
    }

    /// <summary>Adds <paramref name="needs"/> to <paramref name="to"/> in the order of their kinds, in their own order within a kind (a stable sort).</summary>
    private static void AddInKindOrder(List<RuntimeNeed> to, List<RuntimeNeed> needs)
    {
        foreach (var kind in (RuntimeNeedKind[])Enum.GetValues(typeof(RuntimeNeedKind)))
            foreach (var need in needs)
                if (need.Kind == kind) to.Add(need);
    }

    /// <param name="isProgram">
    /// Only a program's dlopen and iconv_open strings count: a library's are its optional plugins (libselinux's libsepol)
    /// or every set it could convert (libunistring names a dozen), not what the program uses.
    /// </param>
    private IEnumerable<RuntimeNeed> Needs(string imagePath, string hostPath, ElfInfo info, IReadOnlyList<ImportedSymbol> imports, bool isProgram)
    {
        var names = imports.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var seen = new bool[Enum.GetNames(typeof(RuntimeNeedKind)).Length];
        foreach (var symbol in imports)
            if (RuntimeNeedTable.KindOf(symbol.Name) is { } kind && kind != RuntimeNeedKind.Gconv && !seen[(int)kind])
            {
                seen[(int)kind] = true;
                yield return Need(kind, imagePath, symbol.Name, null);
            }

        if (isProgram && ProgramPresets.Recognise(imagePath) is var (preset, match))
            // python's standard library, git's templates: the program's own data, which its preset adds.
            yield return new(RuntimeNeedKind.InterpreterData, imagePath, ProgramPreset.Fill(preset.Describe, match), preset.DataDirectory(match), preset.Call);

        var exec = names.FirstOrDefault(RuntimeNeedTable.ExecSymbols.Contains);
        var dlopen = isProgram && names.Contains(RuntimeNeedTable.DlopenSymbol);
        var iconv = isProgram && names.Contains("iconv_open");
        if (exec is null && !dlopen && !iconv) yield break;
        var gconv = iconv ? GconvOf(info) : null;
        var strings = ReadStrings(hostPath, s =>
            (exec is not null && s == RuntimeNeedTable.ShellPath) ||
            (dlopen && LibraryName().IsMatch(s)) ||
            (gconv is not null && IsCharset(gconv, s)));

        if (exec is not null && !seen[(int)RuntimeNeedKind.Shell] && strings.Contains(RuntimeNeedTable.ShellPath))
            yield return Need(RuntimeNeedKind.Shell, imagePath, exec, null);
        if (dlopen)
        {
            var own = info.Needed.Append(info.Soname ?? "").ToHashSet(StringComparer.Ordinal);
            foreach (var library in strings.Where(s => LibraryName().IsMatch(s) && !own.Contains(s)))
                if (_locator.Find(library, info).Path is not null)
                    yield return Need(RuntimeNeedKind.Library, imagePath, RuntimeNeedTable.DlopenSymbol, library);
        }
        if (iconv)
        {
            var charsets = gconv is null ? [] : strings.Where(s => IsCharset(gconv, s)).Select(s => s.ToUpperInvariant()).Distinct().Take(MaxCharsets).ToList();
            yield return Need(RuntimeNeedKind.Gconv, imagePath, "iconv_open", charsets.Count == 0 ? null : string.Join(',', charsets));
        }
    }

    private static RuntimeNeed Need(RuntimeNeedKind kind, string file, string symbol, string? detail) =>
        new(kind, file, symbol, detail, RuntimeNeedTable.Rule(kind).Call(detail));

    /// <summary>
    /// The first <see cref="MaxStringsPerFile"/> string constants of <paramref name="hostPath"/> that <paramref name="keep"/>
    /// accepts. Every string any scan keeps is a <see cref="MayName"/> one: those are remembered under the file's stamp,
    /// in the file's order, and <paramref name="keep"/> (which looks at the root's gconv configuration) picks from them.
    /// </summary>
    private List<string> ReadStrings(string hostPath, Func<string, bool> keep)
    {
        try
        {
            // A file that changed in the last seconds is not remembered: read as before, up to its 64th kept string only.
            if (strings is not null && strings.IsSettled(hostPath) && Remembered(hostPath) is { } remembered)
            {
                var kept = new List<string>();
                foreach (var text in remembered)
                    if (keep(text) && kept.Count < MaxStringsPerFile) kept.Add(text);
                return kept;
            }
        }
        catch (TinyImageException)
        {
            // Reading all of them failed (a segment past the end of the file, say) where the first 64 may not: read as before.
        }
        try
        {
            return [.. ElfReader.ReadStrings(hostPath, keep, MaxStringsPerFile)];
        }
        catch (TinyImageException)
        {
            return [];
        }
    }

    /// <summary>
    /// Every <see cref="MayName"/> string of <paramref name="hostPath"/>, remembered or read now (as <c>COUNT</c> and a
    /// line each: they are printable ASCII); null when there are too many to remember.
    /// </summary>
    private string[]? Remembered(string hostPath)
    {
        var text = strings!.Remember(hostPath, RememberedKind, () =>
        {
            var found = ElfReader.ReadStrings(hostPath, MayName, MaxRemembered + 1);
            return found.Count > MaxRemembered ? "-" : string.Join('\n', found.Prepend(found.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }, IsRemembered);
        return text == "-" ? null : text.Split('\n')[1..];
    }

    /// <summary>Whether <paramref name="text"/> is what <see cref="Remembered"/> keeps: its count, then as many <see cref="MayName"/> strings, a line each.</summary>
    private static bool IsRemembered(string text)
    {
        if (text == "-") return true;
        var lines = text.Split('\n');
        return int.TryParse(lines[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
               && count <= MaxRemembered && count == lines.Length - 1
               && lines.Skip(1).All(line => line.Length <= MaxStringLength && line.All(c => c is >= ' ' and <= '~') && MayName(line));
    }

    /// <summary>What a string must be for any scan to keep it: the shell's path, a library's name, or what a character set's name looks like.</summary>
    private static bool MayName(string text) => text == RuntimeNeedTable.ShellPath || LibraryName().IsMatch(text) || LooksLikeCharset(text);

    private static bool LooksLikeCharset(string text) =>
        text.Length is >= 3 and <= 40 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':') &&
        (text.Any(char.IsAsciiDigit) || text.Contains('-') || text.All(c => !char.IsAsciiLetterLower(c)));

    /// <summary>A character set the root's gconv configuration converts with a module (not one built into libc).</summary>
    private static bool IsCharset(GconvModules gconv, string text) => LooksLikeCharset(text) && gconv.ModulesFor(text) is { Count: > 0 };

    /// <summary>The root's gconv configuration for <paramref name="program"/>'s machine, or null when the root has none.</summary>
    private GconvModules? GconvOf(ElfInfo program)
    {
        var directory = "/usr/" + (LoaderDefaults.For(program, options).Lib ?? "lib") + "/gconv";
        if (_gconv.TryGetValue(directory, out var known)) return known;
        var root = options.Files;
        var real = root.Resolve(directory) is { } r && root.Status(r.RealPath).IsDirectory ? root.HostPath(r.RealPath) : null;
        GconvModules? modules = null;
        try { modules = real is null ? null : GconvModules.Read(real, directory); }
        catch (Exception e) when (e is TinyImageException or IOException or UnauthorizedAccessException) { }
        return _gconv[directory] = modules;
    }

    [GeneratedRegex(@"^lib[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*\.so(\.[0-9]+)*$")]
    private static partial Regex LibraryName();
}
