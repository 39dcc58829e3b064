using System.CommandLine;
using System.Text.Json;
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
        var json = new Option<bool>("--json") { Description = "Print, as JSON, every file an image of these programs needs (with symlinks and why each is there)." };
        var command = new Command("deps", "Print the dependency tree of ELF files, like lddtree.") { files, json };
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(files)!.Select(Path.GetFullPath).ToList();
            var options = new ResolverOptions();
            if (parse.GetValue(json)) WriteJson(paths, options);
            else Console.Write(DependencyTreePrinter.Print(new LibraryResolver(options).Resolve(paths)));
            return Program.ExitOk;
        });
        return command;
    }

    private static void WriteJson(IReadOnlyList<string> paths, ResolverOptions options)
    {
        var spec = new ImageSpec { Steps = [.. paths.Select(p => (BuildStep)new AddBinaryStep(p, p)), new WithLibsStep()] };
        var tree = new TreeAssembler(options).Assemble(spec).Tree;
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
            writer.WriteString("reason", entry.Reason);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.Flush();
        stdout.WriteByte((byte)'\n');
    }
}
