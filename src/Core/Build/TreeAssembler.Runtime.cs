using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

// The steps for what DT_NEEDED never names: NSS, gconv, dlopen'd libraries, data files and traces.
// Every ELF file these steps add comes with its own library closure at once (no WithLibs needed for
// it), and is also noted so that a later WithLibs covers it again.
public sealed partial class TreeAssembler
{
    /// <summary>The minimal nsswitch.conf WithNss writes: glibc's built-in files and dns services only.</summary>
    public const string NsswitchConf =
        "passwd:         files\n" +
        "group:          files\n" +
        "shadow:         files\n" +
        "hosts:          files dns\n" +
        "networks:       files\n" +
        "protocols:      files\n" +
        "services:       files\n";

    /// <summary>The terminfo entries WithTerminfo adds when given no names.</summary>
    public static readonly IReadOnlyList<string> CommonTerminals =
        ["ansi", "dumb", "linux", "screen", "screen-256color", "tmux", "tmux-256color", "vt100", "vt220", "xterm", "xterm-256color", "xterm-color"];

    // ncurses on Debian: TERMINFO_DIRS=/etc/terminfo:/lib/terminfo:/usr/share/terminfo.
    private static readonly string[] TerminfoDirectories = ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"];

    private bool ApplyRuntimeStep(BuildStep step, State state)
    {
        switch (step)
        {
            case WithNssStep s: AddNss(s, state); return true;
            case WithGconvStep s: AddGconv(s, state); return true;
            case AddLibraryStep s: AddLibrary(s, state); return true;
            case WithCaCertificatesStep s: AddCaCertificates(s, state); return true;
            case WithTimezonesStep s: AddTimezones(s, state); return true;
            case WithUserStep s: AddUser(s, state); return true;
            case WithTerminfoStep s: AddTerminfo(s, state); return true;
            case WithLocaleStep s: AddLocale(s, state); return true;
            case TraceStep s: AddTraced(s, state); return true;
            default: return false;
        }
    }

    private void AddNss(WithNssStep step, State state)
    {
        var reason = $"WithNss at {Where(step)}";
        state.Tree.Add(FileEntry.Inline("/etc/nsswitch.conf", System.Text.Encoding.UTF8.GetBytes(NsswitchConf), 0x1A4, reason));
        foreach (var data in new[] { "/etc/services", "/etc/protocols" })
        {
            if (!IsHostFile(data))
                throw new TinyImageException($"WithNss: {data} does not exist on the host; install it with: apt-get install netbase");
            _root.AddFile(state.Tree, data, reason);
        }
        // glibc >= 2.34 has files and dns inside libc.so.6; libnss_files.so.2 and libnss_dns.so.2 are
        // stubs kept for old binaries. They are added when the host has them.
        if (FirstElf(state) is not { } program) return;
        var modules = new List<string>();
        foreach (var service in new[] { "files", "dns" })
            if (_locator.Find($"libnss_{service}.so.2", program).Path is { } path)
                modules.Add(path);
        AddElfFiles(modules, $"NSS module named in /etc/nsswitch.conf; {reason}", state);
    }

    private void AddGconv(WithGconvStep step, State state)
    {
        var program = FirstElf(state)
            ?? throw new TinyImageException("WithGconv: add the program with AddBinary first; the gconv directory depends on its machine");
        var defaults = LoaderDefaults.For(program, _resolver.Options);
        var directory = "/usr/" + (defaults.Lib ?? "lib") + "/gconv";
        var hostDirectory = RealDirectory(directory) is { } real ? _root.HostPath(real) : null;
        var hasConfig = IsHostFile(directory + "/gconv-modules") || IsHostFile(directory + "/gconv-modules.cache");
        if (hostDirectory is null || !hasConfig)
            throw new TinyImageException($"WithGconv: {directory} has no gconv-modules; install glibc's gconv modules with: apt-get install libc6");
        var reason = $"WithGconv at {Where(step)}";
        foreach (var config in new[] { "gconv-modules", "gconv-modules.cache" })
            if (IsHostFile(directory + "/" + config))
                _root.AddFile(state.Tree, directory + "/" + config, reason);
        if (RealDirectory(directory + "/gconv-modules.d") is { } confDirectory)
            foreach (var conf in Directory.GetFiles(_root.HostPath(confDirectory)).Order(StringComparer.Ordinal))
                _root.AddFile(state.Tree, directory + "/gconv-modules.d/" + Path.GetFileName(conf), reason);

        var modules = new SortedSet<string>(StringComparer.Ordinal);
        if (step.Charsets.IsEmpty)
        {
            foreach (var file in Directory.GetFiles(hostDirectory, "*.so"))
                modules.Add(directory + "/" + Path.GetFileName(file));
        }
        else
        {
            var config = GconvModules.Read(hostDirectory, directory);
            foreach (var charset in step.Charsets)
            {
                var files = config.ModulesFor(charset)
                    ?? throw new TinyImageException($"WithGconv: '{charset}' is not a character set in {directory}/gconv-modules; `iconv -l` lists the known ones");
                foreach (var file in files)
                {
                    if (!IsHostFile(file))
                        throw new TinyImageException($"WithGconv: {file} (for {charset}) does not exist; reinstall it with: apt-get install --reinstall libc6");
                    modules.Add(file);
                }
            }
        }
        AddElfFiles(modules, $"gconv module; {reason}", state);
    }

    private void AddLibrary(AddLibraryStep step, State state)
    {
        var call = step.Package == "libgcc-s1" ? "WithLibgcc" : $"AddLibrary(\"{step.Soname}\")";
        var program = FirstElf(state)
            ?? throw new TinyImageException($"{call}: add the program with AddBinary first; the library search depends on its machine");
        var (path, searched) = _locator.Find(step.Soname, program);
        if (path is null)
        {
            var install = step.Package is { } package ? $"install it with: apt-get install {package}" : "install the package that has it (apt-file search " + step.Soname + ")";
            throw new TinyImageException($"{call}: {step.Soname} is not in [{string.Join(", ", searched)}]; {install}");
        }
        AddElfFiles([path], $"{step.Soname}, loaded at run time; {call} at {Where(step)}", state);
    }

    private void AddCaCertificates(WithCaCertificatesStep step, State state)
    {
        const string bundle = "/etc/ssl/certs/ca-certificates.crt";
        if (!IsHostFile(bundle))
            throw new TinyImageException($"WithCaCertificates: {bundle} does not exist on the host; install it with: apt-get install ca-certificates");
        var reason = $"WithCaCertificates at {Where(step)}";
        _root.AddFile(state.Tree, bundle, reason);
        foreach (var link in new[] { "/usr/lib/ssl/certs", "/usr/lib/ssl/cert.pem" })
            AddLinksOnTheWay(link, reason, state);
    }

    private void AddTimezones(WithTimezonesStep step, State state)
    {
        const string zoneinfo = "/usr/share/zoneinfo";
        var reason = $"WithTimezone{(step.Zone is null ? "s" : "")} at {Where(step)}";
        if (!IsDirectory(zoneinfo))
            throw new TinyImageException($"WithTimezones: {zoneinfo} does not exist on the host; install it with: apt-get install tzdata");
        if (step.Zone is null)
        {
            AddHostDirectory(zoneinfo, reason, state);
            return;
        }
        var zone = zoneinfo + "/" + step.Zone;
        if (!IsHostFile(zone))
            throw new TinyImageException($"WithTimezone(\"{step.Zone}\"): {zone} does not exist; use a name from {zoneinfo}, e.g. Europe/Paris or Etc/UTC");
        _root.AddFile(state.Tree, zone, reason);
        state.Tree.Add(FileEntry.Link("/etc/localtime", zone, reason));
    }

    private void AddUser(WithUserStep step, State state)
    {
        if (step.Uid != 0 && step.Name == "root")
            throw new TinyImageException($"WithUser(\"root\", {step.Uid}): root has uid 0; choose another name");
        if (state.Users.FirstOrDefault(u => u.Uid == step.Uid && u.Name != step.Name) is { Name: not null } other && step.Uid != 0)
            throw new TinyImageException($"WithUser(\"{step.Name}\", {step.Uid}): uid {step.Uid} already belongs to {other.Name}; choose another uid");
        state.Users.RemoveAll(u => u.Name == step.Name);
        state.Users.Add((step.Name, step.Uid, step.Gid));
        var reason = $"WithUser at {Where(step)}";
        state.Tree.Add(FileEntry.Inline("/etc/passwd", System.Text.Encoding.UTF8.GetBytes(AccountFiles.Passwd(state.Users)), 0x1A4, reason));
        state.Tree.Add(FileEntry.Inline("/etc/group", System.Text.Encoding.UTF8.GetBytes(AccountFiles.Group(state.Users)), 0x1A4, reason));
        if (step.Uid == 0)
            state.Tree.Add(FileEntry.Directory("/root", 0x1C0, reason));
        else
            state.Tree.Add(FileEntry.Directory(AccountFiles.HomeOf(step.Name, step.Uid), 0x1ED, reason) with { Uid = step.Uid, Gid = step.Gid });
    }

    private void AddTerminfo(WithTerminfoStep step, State state)
    {
        var reason = $"WithTerminfo at {Where(step)}";
        if (step.Terms is ["*"])
        {
            var any = false;
            foreach (var directory in TerminfoDirectories.Where(IsDirectory))
            {
                AddHostDirectory(directory, reason, state);
                any = true;
            }
            if (!any)
                throw new TinyImageException("WithTerminfo: no terminfo directory on the host; install it with: apt-get install ncurses-base ncurses-term");
            return;
        }
        var named = !step.Terms.IsEmpty;
        var added = 0;
        foreach (var term in named ? step.Terms : CommonTerminals)
        {
            var entry = TerminfoDirectories.Select(d => $"{d}/{term[0]}/{term}").FirstOrDefault(IsHostFile);
            if (entry is null)
            {
                if (named)
                    throw new TinyImageException($"WithTerminfo: no terminfo entry '{term}' in {string.Join(", ", TerminfoDirectories)}; install it with: apt-get install ncurses-term");
                continue;
            }
            _root.AddFile(state.Tree, entry, $"terminfo entry {term}; {reason}");
            added++;
        }
        if (added == 0)
            throw new TinyImageException($"WithTerminfo: none of {string.Join(", ", CommonTerminals)} is in {string.Join(", ", TerminfoDirectories)}; install them with: apt-get install ncurses-base");
    }

    private void AddLocale(WithLocaleStep step, State state)
    {
        const string locales = "/usr/lib/locale";
        var candidates = new[] { step.Name, LocaleNames.Normalize(step.Name) }.Distinct(StringComparer.Ordinal).Select(n => locales + "/" + n).ToList();
        var found = candidates.FirstOrDefault(IsDirectory)
            ?? throw new TinyImageException(
                $"WithLocale(\"{step.Name}\"): {string.Join(" and ", candidates)} do not exist; C.utf8 comes with libc-bin, and other locales must be compiled to a directory first, e.g. localedef --no-archive -i en_US -f UTF-8 en_US.UTF-8 (apt-get install locales)");
        AddHostDirectory(found, $"WithLocale at {Where(step)}", state);
    }

    private void AddTraced(TraceStep step, State state)
    {
        if (_root.Root != "/")
            throw new TinyImageException("Trace: a program can only be traced on the host's own root, not inside a sysroot");
        var files = _tracer.Trace(step.Program, step.Arguments);
        var reason = $"opened by {step.Program} {string.Join(' ', step.Arguments)} under Trace at {Where(step)}";
        var elf = new List<string>();
        foreach (var file in files)
        {
            if (file.Path == step.Program) continue;
            var resolved = _root.Resolve(file.Path);
            if (resolved is null || !_root.Status(resolved.Value.RealPath).IsFile) continue; // gone, a directory, or not a file
            if (file.Executed)
            {
                AddExecutable(_root, file.Path, file.Path, $"run by {step.Program} under Trace at {Where(step)}", state, depth: 0);
                if (ElfReader.IsElf(_root.HostPath(resolved.Value.RealPath))) elf.Add(file.Path);
            }
            else if (ElfReader.IsElf(_root.HostPath(resolved.Value.RealPath)))
                elf.Add(file.Path);
            else
                _root.AddFile(state.Tree, file.Path, reason);
        }
        AddElfFiles(elf, reason, state);
    }

    /// <summary>Adds ELF files (paths inside the root) with the symlinks on their paths, then their library closure.</summary>
    private void AddElfFiles(IReadOnlyCollection<string> paths, string reason, State state)
    {
        if (paths.Count == 0) return;
        var inputs = new List<ElfInput>();
        foreach (var path in paths)
        {
            _root.AddFile(state.Tree, path, reason);
            var input = ElfInput.InPlace(_root, path);
            NoteElf(input, state);
            inputs.Add(input);
        }
        AddClosure(inputs, state);
    }

    /// <summary>Adds a host directory (inside the root) at its real path, with the symlinks on the way to it (e.g. /lib -> usr/lib).</summary>
    private void AddHostDirectory(string path, string reason, State state)
    {
        var (real, links) = _root.Resolve(path) ?? throw new TinyImageException($"{path}: no such directory on the host");
        foreach (var (link, target) in links)
            state.Tree.Add(FileEntry.Link(link, target, $"symlink on the path to {path}; {reason}"));
        foreach (var (imagePath, _) in _root.AddDirectory(state.Tree, real, real, reason, normaliseModes: false))
            if (ElfReader.IsElf(_root.HostPath(imagePath))) NoteElf(ElfInput.InPlace(_root, imagePath), state);
    }

    /// <summary>Adds the symlinks met on the way to <paramref name="path"/> when it exists and is reached through one (e.g. /usr/lib/ssl/certs -> /etc/ssl/certs).</summary>
    private void AddLinksOnTheWay(string path, string reason, State state)
    {
        if (_root.Resolve(path) is not { } resolved) return;
        foreach (var (link, target) in resolved.Links)
            state.Tree.Add(FileEntry.Link(link, target, $"symlink on the path to {path}; {reason}"));
    }

    private bool IsHostFile(string path) =>
        _root.Resolve(path) is { } r && _root.Status(r.RealPath).IsFile;

    private bool IsDirectory(string path) => RealDirectory(path) is not null;

    /// <summary>The real path (inside the root) of the directory <paramref name="path"/>, or null when it is not one.</summary>
    private string? RealDirectory(string path) =>
        _root.Resolve(path) is { } r && _root.Status(r.RealPath).IsDirectory ? r.RealPath : null;

    /// <summary>The headers of the first ELF file added: runtime steps choose modules for its machine.</summary>
    private static ElfInfo? FirstElf(State state) =>
        state.ElfFiles.Count == 0 ? null : state.ElfFiles[0].Info;
}
