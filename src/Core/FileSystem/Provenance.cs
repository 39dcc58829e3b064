using TinyImage.Core.Packages;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// Why a path is in an image, as data: the recipe step and line that added it, what it is for, the ELF link that needed
/// it, and the package its bytes come from. <see cref="Describe"/> renders the line <c>inspect</c>, <c>deps --why</c> and
/// <c>tinyimage/files.json</c> show; the SBOM reads the fields.
/// </summary>
public sealed record Provenance
{
    /// <summary>The recipe call that added the path, e.g. <c>AddBinary</c> or <c>AddLibrary("libz.so.1")</c>; empty when none did.</summary>
    public string Step { get; init; } = "";

    /// <summary>Where in the recipe <see cref="Step"/> is; null: given on the command line or made by tinyrun.</summary>
    public SourceLocation? Origin { get; init; }

    /// <summary>What the path is for, in words, before the rest: "terminfo entry xterm", "symlink on the path to /bin/bash".</summary>
    public string? Detail { get; init; }

    /// <summary>The ELF link that needed the file (a DT_NEEDED name or PT_INTERP), or null.</summary>
    public ElfNeed? Need { get; init; }

    /// <summary>The Debian package the file's bytes come from, when the root's packages record it.</summary>
    public InstalledPackage? Package { get; init; }

    /// <summary>The bytes come from the recipe's own directory: the file is the application's.</summary>
    public bool FromRecipe { get; init; }

    /// <summary>The implicit parent directories a tree fills in.</summary>
    public static Provenance ParentDirectory { get; } = new() { Detail = "parent directory" };

    /// <summary>A provenance that is only words (tests, and entries no step made).</summary>
    public static Provenance Note(string detail) => new() { Detail = detail };

    /// <summary>What step <paramref name="step"/> (a recipe call) at <paramref name="origin"/> adds.</summary>
    public static Provenance Of(string step, SourceLocation? origin) => new() { Step = step, Origin = origin };

    /// <summary>This provenance with <paramref name="detail"/> put before its own detail ("detail; own detail").</summary>
    public Provenance Because(string detail) => this with { Detail = Detail is { Length: > 0 } own ? $"{detail}; {own}" : detail };

    /// <summary>
    /// The line people read, e.g. <c>AddBinary at bash-ls.tiny.csx(5)</c>, <c>terminfo entry xterm; WithTerminfo at
    /// r.tiny.csx(3)</c> or <c>libtinfo.so.6, needed by /usr/bin/bash, found in default path /lib/x86_64-linux-gnu</c>.
    /// A needed file names its chain rather than the step the chain starts from.
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>(3);
        if (Detail is { Length: > 0 } detail) parts.Add(detail);
        if (Need is { } need) parts.Add(need.Describe());
        else if (Step.Length > 0) parts.Add($"{Step} at {Where}");
        return string.Join("; ", parts);
    }

    /// <summary>The recipe line as kept with the image: file name and line, the same from any directory.</summary>
    public string Where => Origin is { } origin ? $"{Path.GetFileName(origin.File)}({origin.Line})" : "the command line";

    public override string ToString() => Describe();
}
