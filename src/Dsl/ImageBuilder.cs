using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Dsl;

/// <summary>
/// An image being described. Every call returns a new builder and leaves this one unchanged, so a
/// partly built image can be shared: <c>var b = From.Scratch().AddBinary("/bin/sh"); b.Tag("a"); b.Tag("b");</c>
/// defines two images. Modes are written with octal digits: <c>755</c> or <c>0755</c> means rwxr-xr-x.
/// Relative host paths are relative to the recipe's directory.
/// </summary>
public sealed class ImageBuilder
{
    private readonly Recipe _recipe;

    internal ImageBuilder(Recipe recipe, ImageSpec spec)
    {
        _recipe = recipe;
        Spec = spec;
    }

    /// <summary>What this builder describes so far.</summary>
    public ImageSpec Spec { get; }

    /// <summary>
    /// Adds an executable: an ELF program, or a <c>#!</c> script, which brings its interpreter.
    /// <paramref name="destination"/> defaults to the source path when it is absolute, else to /NAME.
    /// Call <see cref="WithLibs"/> afterwards to add the loader and shared libraries.
    /// </summary>
    public ImageBuilder AddBinary(string source, string? destination = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var from = _recipe.ResolveSource(source);
        var to = destination ?? (Path.IsPathRooted(source) ? source : "/" + Path.GetFileName(from));
        return Step(new AddBinaryStep(from, ImageDestination(to, file, line)), file, line);
    }

    /// <summary>Adds the ELF interpreter and the transitive shared-library closure of every ELF file added so far.</summary>
    public ImageBuilder WithLibs([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new WithLibsStep(), file, line);

    /// <summary>Adds a regular file; <paramref name="mode"/> null keeps the host file's mode.</summary>
    public ImageBuilder AddFile(string source, string destination, int? mode = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new AddFileStep(_recipe.ResolveSource(source), ImageDestination(destination, file, line),
            mode is { } m ? Octal(m, file, line) : null), file, line);

    /// <summary>Adds a host directory recursively at <paramref name="destination"/>; symlinks stay symlinks.</summary>
    public ImageBuilder AddDirectory(string source, string destination,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new AddDirectoryStep(_recipe.ResolveSource(source), ImageDestination(destination, file, line)), file, line);

    /// <summary>Adds a file holding <paramref name="text"/> (UTF-8).</summary>
    public ImageBuilder AddText(string destination, string text, int mode = 644,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new AddTextStep(ImageDestination(destination, file, line), text, Octal(mode, file, line)), file, line);

    /// <summary>Adds a symbolic link at <paramref name="path"/> pointing to <paramref name="target"/> (stored as given).</summary>
    public ImageBuilder Symlink(string path, string target,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (string.IsNullOrEmpty(target))
            throw Error(file, line, $"Symlink(\"{path}\", ...): the target is empty; give the path the link points to");
        return Step(new SymlinkStep(ImageDestination(path, file, line), target), file, line);
    }

    /// <summary>Adds a directory (parents are created as 755).</summary>
    public ImageBuilder MkDir(string path, int mode = 755,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Step(new MkDirStep(ImageDestination(path, file, line), Octal(mode, file, line)), file, line);

    /// <summary>Sets the program the container runs.</summary>
    public ImageBuilder Entrypoint(params string[] command) => Configure(c => c with { Entrypoint = [.. command] });

    /// <summary>Sets the default arguments (or, without an entrypoint, the default command).</summary>
    public ImageBuilder Cmd(params string[] command) => Configure(c => c with { Cmd = [.. command] });

    /// <summary>Sets an environment variable; setting it again replaces the value.</summary>
    public ImageBuilder Env(string name, string value)
    {
        if (name.Length == 0 || name.Contains('='))
            throw new TinyImageException($"Env(\"{name}\", ...): a variable name must be non-empty and contain no '='");
        return Configure(c =>
        {
            var index = c.Env.IndexOf(c.Env.FirstOrDefault(kv => kv.Key == name));
            var entry = KeyValuePair.Create(name, value);
            return c with { Env = c.Env.Any(kv => kv.Key == name) ? c.Env.SetItem(index, entry) : c.Env.Add(entry) };
        });
    }

    /// <summary>Sets the working directory of the container.</summary>
    public ImageBuilder WorkDir(string path) => Configure(c => c with { WorkingDir = ImagePath.Normalize(path) });

    /// <summary>Sets the user the container runs as: a name, "uid", or "uid:gid".</summary>
    public ImageBuilder User(string user) => Configure(c => c with { User = user });

    /// <summary>Sets the numeric user (and group) the container runs as.</summary>
    public ImageBuilder User(int uid, int? gid = null) => User(gid is { } g ? $"{uid}:{g}" : $"{uid}");

    /// <summary>Declares a port the container listens on.</summary>
    public ImageBuilder Expose(int port, string protocol = "tcp")
    {
        if (port is < 1 or > 65535 || protocol is not ("tcp" or "udp" or "sctp"))
            throw new TinyImageException($"Expose({port}, \"{protocol}\"): the port must be 1-65535 and the protocol tcp, udp or sctp");
        return Configure(c => c with { ExposedPorts = c.ExposedPorts.Add($"{port}/{protocol}") });
    }

    /// <summary>Sets a label of the image.</summary>
    public ImageBuilder Label(string key, string value) => Configure(c => c with { Labels = c.Labels.SetItem(key, value) });

    /// <summary>Names the image, e.g. "hello:latest" or "registry.example:5000/team/app:1.2".</summary>
    public ImageBuilder Tag(string reference, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!ImageReference.TryParse(reference, out var parsed, out var problem))
            throw Error(file, line, $"Tag(\"{reference}\"): {problem}");
        return Derive(Spec with { Reference = parsed.ToString() });
    }

    private ImageBuilder Step(BuildStep step, string file, int line) =>
        Derive(Spec with { Steps = Spec.Steps.Add(step with { Origin = _recipe.Locate(file, line) }) });

    private ImageBuilder Configure(Func<ImageConfig, ImageConfig> change) => Derive(Spec with { Config = change(Spec.Config) });

    private ImageBuilder Derive(ImageSpec spec) => _recipe.Register(new ImageBuilder(_recipe, spec), this);

    private string ImageDestination(string path, string file, int line) =>
        path.StartsWith('/') ? ImagePath.Normalize(path)
            : throw Error(file, line, $"'{path}': a path in the image must be absolute (start with '/')");

    private int Octal(int digits, string file, int line)
    {
        var text = digits.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (digits < 0 || digits > 7777 || text.Any(ch => ch > '7'))
            throw Error(file, line, $"mode {digits}: write a mode with octal digits, e.g. 755 or 644");
        return Convert.ToInt32(text, 8);
    }

    private TinyImageException Error(string file, int line, string message) =>
        new(SourceLocation.Prefix(_recipe.Locate(file, line), message));
}
