using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Build.Steps;

/// <summary>Adds an executable: an ELF program, or a <c>#!</c> script with its interpreter (and the program <c>env</c> runs).</summary>
internal static class Executables
{
    private const int MaxInterpreterDepth = 4; // Linux follows at most a few levels of #! interpreters.

    /// <summary>Adds <paramref name="source"/> (a path inside <paramref name="files"/>) at <paramref name="destination"/>.</summary>
    public static void Add(BuildContext context, HostFiles files, string source, string destination, Provenance reason, int depth = 0)
    {
        var real = RealSource(files, source, "AddBinary");
        var bytes = files.HostPath(real);
        if (ElfReader.IsElf(bytes))
        {
            var info = ElfReader.Read(bytes);
            if (context.Platform is { } platform && info.OciArchitecture != platform.Architecture)
                throw new TinyImageException(
                    $"{Shown(files, source)}: is a program for {info.OciArchitecture}, but the image is for {platform}; take it from a root of that platform (.Root(...)) or build for linux/{info.OciArchitecture} (--platform)");
            context.Architecture ??= info.OciArchitecture;
            var inImage = Copy(context, files, source, real, destination, reason);
            context.NoteElf(inImage == source && files == context.Root ? ElfInput.InPlace(files, source) : new ElfInput(inImage, files, real), info);
            return;
        }
        var shebang = ShebangReader.ReadInterpreter(bytes)
            ?? throw new TinyImageException($"{Shown(files, source)}: not an ELF executable or a #! script; add data files with AddFile");
        if (depth >= MaxInterpreterDepth)
            throw new TinyImageException($"{Shown(files, source)}: #! interpreters nest more than {MaxInterpreterDepth} levels deep");
        Copy(context, files, source, real, destination, reason);
        var interpreter = shebang.Interpreter;
        var fromRoot = reason with { Detail = null, FromRecipe = false };
        Add(context, context.Root, interpreter, interpreter, fromRoot.Because($"#! interpreter of {destination}"), depth + 1);
        if (Path.GetFileName(interpreter) == "env" && shebang.Argument is { Length: > 0 } program && !program.StartsWith('-'))
        {
            var found = new[] { "/usr/local/bin", "/usr/bin", "/bin" }.Select(d => d + "/" + program).FirstOrDefault(context.IsRootFile)
                ?? throw new TinyImageException($"{Shown(files, source)}: '#!{interpreter} {program}': {program} is not in /usr/local/bin, /usr/bin or /bin; add it with AddBinary");
            Add(context, context.Root, found, found, fromRoot.Because($"{program}, run by {interpreter} for {destination}"), depth + 1);
        }
    }

    /// <summary>Resolves a step's source inside its tree (symlinks followed inside it, never out) to its real path, which must be a regular file.</summary>
    public static string RealSource(HostFiles files, string source, string call)
    {
        var real = files.Resolve(source)?.RealPath
            ?? throw new TinyImageException(call == "AddBinary" && Needs.ProgramLocations.Elsewhere(files, source, Environment.GetEnvironmentVariable("PATH")) is { } elsewhere
                ? $"{call}: '{Shown(files, source)}' does not exist, but {elsewhere} does; use .{call}(\"{elsewhere}\")"
                : $"{call}: '{Shown(files, source)}' does not exist; check the path");
        var status = files.Status(real);
        if (status.IsDirectory)
            throw new TinyImageException($"{call}: '{Shown(files, source)}' is a directory; use AddDirectory");
        if (!status.IsFile)
            throw new TinyImageException($"{call}: '{Shown(files, source)}' is {status.Describe()}; only regular files, directories and symlinks go into an image");
        return real;
    }

    /// <summary>A source path for messages: inside a sysroot, with the root it is in.</summary>
    private static string Shown(HostFiles files, string path) => files.Root == "/" ? path : $"{path}' in root '{files.Root}";

    /// <summary>
    /// Copies an executable (real path <paramref name="real"/> in <paramref name="files"/>) to <paramref name="destination"/>;
    /// at its own path in the root it keeps the links on the way (/bin -> usr/bin). Returns its path in the image.
    /// </summary>
    private static string Copy(BuildContext context, HostFiles files, string source, string real, string destination, Provenance reason)
    {
        if (files == context.Root && source == destination)
        {
            files.AddFile(context.Tree, destination, reason); // keep /bin -> usr/bin and other links on the way
            return source;
        }
        var status = files.Status(real);
        var mode = files == context.RecipeFiles ? HostFiles.NormalisedMode(status) : status.Mode;
        return context.Tree.Add(FileEntry.HostFile(destination, files.HostPath(real), mode, reason)).Path;
    }
}
