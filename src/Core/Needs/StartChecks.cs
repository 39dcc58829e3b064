using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Needs;

/// <summary>
/// Checks that stop, at build time, an image that cannot start: a dynamic program without its loader or libraries,
/// an entrypoint that is not in the image, a user name the image's /etc/passwd does not have, a WorkDir that is a file.
/// Each problem is one line naming the fix. A missing WorkDir is not one: the engine creates it when it creates the
/// container, owned by root, which only a non-root user notices (<see cref="Notes"/>).
/// </summary>
public static class StartChecks
{
    /// <summary>Docker's PATH when the image sets none.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The problems found, one line each (empty when the image can start).</summary>
    public static IReadOnlyList<string> Problems(ImageConfig config, ImageView image, IReadOnlyList<(string ImagePath, ElfInfo Info)> elfFiles)
    {
        var problems = new List<string>();
        var names = image.FileNames();
        foreach (var (path, info) in elfFiles.Where(e => e.Info.Interpreter is not null && e.Info.Soname is null && IsLoadable(e.Info)))
        {
            if (!image.IsFile(info.Interpreter!))
                problems.Add($"{path} is a dynamic program but its loader {info.Interpreter} is not in the image; add .WithLibs() after the step that adds it");
            else if (info.Needed.FirstOrDefault(n => !names.Contains(n[(n.LastIndexOf('/') + 1)..])) is { } missing)
                problems.Add($"{path} needs {missing}, which is not in the image; add .WithLibs() after the step that adds it");
        }
        if (Command(config) is { } program && Missing(program, config, image) is { } where)
            problems.Add($"the entrypoint {program} is not in the image ({where}); add it with .AddBinary(\"{(program.StartsWith('/') ? program : "/usr/bin/" + program)}\")");
        if (config.User is { Length: > 0 } user)
        {
            var (name, group) = user.IndexOf(':') is var colon and >= 0 ? (user[..colon], user[(colon + 1)..]) : (user, null);
            if (!IsNumber(name) && !HasEntry(image, "/etc/passwd", name))
                problems.Add($".User(\"{user}\"): the image has no passwd entry for {name}, so the container cannot start; add .WithUser(\"{name}\", UID) or use a number, .User(UID)");
            else if (group is { Length: > 0 } && !IsNumber(group) && !HasEntry(image, "/etc/group", group))
                problems.Add($".User(\"{user}\"): the image has no group entry for {group}, so the container cannot start; add .WithUser(\"{group}\", UID) or use a number, .User(\"UID:GID\")");
        }
        if (WorkDir(config) is { } workDir && image.Follow(workDir) is { Kind: not EntryKind.Directory })
            problems.Add($".WorkDir(\"{workDir}\"): {workDir} in the image is a file, not a directory, so the container cannot start; use another directory or .MkDir(\"{workDir}\") in its place");
        return problems;
    }

    /// <summary>
    /// What lets the image start but may still surprise, one hint line each: a non-root user's WorkDir that is owned by
    /// root because the engine will create it, or because the layer has it only as the parent of something below it.
    /// </summary>
    public static IReadOnlyList<string> Notes(ImageConfig config, ImageView image)
    {
        if (WorkDir(config) is not { } workDir || image.Follow(workDir) is not null || ImagePath.Normalize(workDir) == "/") return [];
        var user = config.User is { Length: > 0 } given ? given.Split(':')[0] : "0";
        if (user is "0" or "root") return [];
        var fix = $"so user {user} cannot write there; add .MkDir(\"{workDir}\", owner: \"{user}\") if it should";
        return [EntryBelow(workDir, image) is { } below
            ? $"hint: .WorkDir(\"{workDir}\") is a directory made for {below}, owned by root, {fix}"
            : $"hint: .WorkDir(\"{workDir}\") is not in the image: the engine creates it owned by root, {fix}"];
    }

    /// <summary>
    /// The first path the recipe added below <paramref name="directory"/>, which the image does not have itself: the
    /// layer carries it as a parent directory made for that path (0755, root's); null when nothing is below it.
    /// </summary>
    private static string? EntryBelow(string directory, ImageView image)
    {
        string prefix;
        try { prefix = image.Tree.ResolveParents(ImagePath.Normalize(directory)) + "/"; }
        catch (TinyImageException) { return null; }
        return image.Tree.Paths.FirstOrDefault(p => p.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>The image's absolute WorkDir, or null.</summary>
    private static string? WorkDir(ImageConfig config) => config.WorkingDir is { Length: > 0 } dir && dir.StartsWith('/') ? dir : null;

    /// <summary>An ELF file ld.so can load: an executable or a shared object, not a relocatable object or a core dump.</summary>
    public static bool IsLoadable(ElfInfo info) => info.Type is ElfFileType.Executable or ElfFileType.SharedObject;

    /// <summary>The program the container runs: the entrypoint's first word, else the command's; null when neither is set.</summary>
    private static string? Command(ImageConfig config) =>
        config.Entrypoint is { Length: > 0 } entrypoint ? entrypoint[0] : config.Entrypoint is null && config.Cmd is { Length: > 0 } cmd ? cmd[0] : null;

    /// <summary>Where <paramref name="program"/> was looked for when the image does not have it; null when it does (or is relative to the working directory).</summary>
    private static string? Missing(string program, ImageConfig config, ImageView image)
    {
        if (program.StartsWith('/')) return image.IsFile(program) ? null : "no such file";
        if (program.Contains('/')) return null;
        var path = config.Env.LastOrDefault(kv => kv.Key == "PATH").Value ?? DefaultPath;
        var directories = path.Split(':', StringSplitOptions.RemoveEmptyEntries);
        return directories.Any(d => d.StartsWith('/') && image.IsFile(ImagePath.Combine(ImagePath.Normalize(d), program))) ? null
            : $"no directory of PATH={path} has it";
    }

    private static bool IsNumber(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    /// <summary>Whether the account file <paramref name="file"/> (passwd or group) of the image has a line for <paramref name="name"/>.</summary>
    private static bool HasEntry(ImageView image, string file, string name) =>
        AccountFiles.Entries(image, file).Any(fields => fields[0] == name);
}
