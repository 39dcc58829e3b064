using System.CommandLine;
using System.Text.Json;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary><c>tinyrun deps FILE... [--json]</c>: the shared-library tree of ELF files, read from the files, never by running them.</summary>
internal static class DepsCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "ELF executables or libraries.", Arity = ArgumentArity.OneOrMore };
        // The parser takes an unknown option for a file; a file of that name is rare (./-x names it).
        files.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.Length > 1 && t.Value[0] == '-' && !File.Exists(t.Value)))
                result.AddError($"unknown option '{token.Value}'");
        });
        var json = new Option<bool>("--json") { Description = "Print, as JSON, every file an image of these programs needs (with symlinks and why each is there)." };
        var why = new Option<bool>("--why") { Description = "Print every file an image of these programs needs and why it is there." };
        var root = new Option<string?>("--root") { Description = "Resolve inside this root file system (a sysroot, an unpacked image); FILEs are paths inside it." };
        var needs = new Option<bool>("--needs") { Description = "Print what the programs (or a recipe's images, FILE being a .tiny.csx) need at run time beyond their libraries: the imported symbol that shows each need, and the call that provides it." };
        var command = new Command("deps", """
            Print the shared-library tree of ELF files, like lddtree, read from the files (never by running them).

            Examples:
              tinyrun deps /bin/bash /bin/ls
              tinyrun deps --why /usr/bin/curl
              tinyrun deps --json /usr/bin/curl
              tinyrun deps --root /srv/arm64-rootfs /usr/bin/bash
              tinyrun deps --needs /usr/bin/ssh
              tinyrun deps --needs recipes/app.tiny.csx
            """) { files, json, why, root, needs };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(needs))
            {
                await NeedsCommand.WriteAsync(parse.GetValue(files)!, parse.GetValue(root), cancellationToken).ConfigureAwait(false);
                return Program.ExitOk;
            }
            var rootDirectory = parse.GetValue(root);
            if (rootDirectory is not null && !Directory.Exists(rootDirectory))
                throw new TinyImageException($"--root {rootDirectory}: no such directory");
            var host = new HostFiles(rootDirectory ?? "/");
            var paths = parse.GetValue(files)!.Select(p => rootDirectory is null ? Path.GetFullPath(p) : ImagePath.Normalize(p)).ToList();
            var options = new ResolverOptions { Files = host };
            if (parse.GetValue(json)) WriteJson(await AssembleAsync(paths, options, cancellationToken).ConfigureAwait(false));
            else if (parse.GetValue(why)) WriteReasons(await AssembleAsync(paths, options, cancellationToken).ConfigureAwait(false));
            else Console.Write(DependencyTreePrinter.Print(new LibraryResolver(options).Resolve(paths), annotate: p => SizeOf(host, p)));
            return Program.ExitOk;
        });
        return command;
    }

    private static string? SizeOf(HostFiles host, string path)
    {
        var file = new FileInfo(host.HostPath(path));
        try { return file.Exists ? Sizes.Format((file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file).Length) : null; }
        catch (IOException) { return null; }
    }

    /// <summary>The files an image of <paramref name="paths"/> with their libraries holds, assembled as a build does.</summary>
    private static Task<FileTree> AssembleAsync(IReadOnlyList<string> paths, ResolverOptions options, CancellationToken cancellationToken) =>
        BuildService.ForFiles(options).AssembleAsync(ProgramsImage(options.Files, paths), platform: null, cancellationToken);

    /// <summary>
    /// An image of the programs at <paramref name="paths"/> (inside <paramref name="files"/>) and their libraries. A
    /// regular file that is neither ELF nor a <c>#!</c> script is refused here, in deps' words (the build's are AddBinary's).
    /// </summary>
    internal static ImageSpec ProgramsImage(HostFiles files, IReadOnlyList<string> paths)
    {
        foreach (var path in paths)
            if (files.Resolve(path) is { RealPath: var real } && files.Status(real).IsFile
                && !ElfReader.IsElf(files.HostPath(real)) && ShebangReader.ReadInterpreter(files.HostPath(real)) is null)
                throw new TinyImageException($"{path}: not an ELF program or a #! script; deps reads programs");
        return new ImageSpec { Steps = [.. paths.Select(p => (BuildStep)new AddBinaryStep(files.HostPath(p), p)), new WithLibsStep()], PackageMetadata = false };
    }

    private static void WriteReasons(FileTree tree)
    {
        var entries = tree.Entries().Where(e => e.Kind != EntryKind.Directory).ToList();
        var width = entries.Max(e => e.Path.Length + (e.LinkTarget is { } t ? t.Length + 4 : 0));
        foreach (var entry in entries)
        {
            var name = entry.LinkTarget is { } target ? $"{entry.Path} -> {target}" : entry.Path;
            Console.WriteLine($"{name.PadRight(width)}  {entry.Provenance.Describe()}");
        }
    }

    private static void WriteJson(FileTree tree)
    {
        using var stdout = Console.OpenStandardOutput();
        using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        writer.WriteStartArray();
        foreach (var entry in tree.Entries().Where(e => e.Kind != EntryKind.Directory))
        {
            writer.WriteStartObject();
            writer.WriteString("path", entry.Path);
            writer.WriteString("type", entry.Kind == EntryKind.Symlink ? "symlink" : "file");
            if (entry.LinkTarget is { } target) writer.WriteString("target", target);
            if (entry.SourcePath is { } source) writer.WriteString("source", source);
            writer.WriteString("reason", entry.Provenance.Describe());
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.Flush();
        stdout.WriteByte((byte)'\n');
    }
}
