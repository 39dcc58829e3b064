using System.Reflection;
using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// What a build of an image from host files looked at and what it made, kept in the layer cache so that a build of
/// the same spec can skip the work when nothing it looked at changed (as make and MSBuild skip a target whose inputs
/// and outputs are as they were). The record is under a key of everything that decides the image besides the files:
/// the spec, the pipeline's options, the platform, the name, and this build of TinyImage. It holds each host path the
/// build looked at with what it was (<see cref="InputRecorder"/>: files read, directories listed and walked, paths
/// that did not exist), the archive and SBOMs it wrote with what they were after, the image's documents and layers,
/// and the hints it gave. A record that does not parse, or names a layer blob that is gone, is no record.
/// </summary>
internal sealed class UnchangedBuilds(string directory)
{
    /// <summary>The directory of records in the layer cache (a prune empties it).</summary>
    public const string DirectoryName = "builds";

    /// <summary>The first line of a record; change it whenever what a record holds, or what decides an image, changes.</summary>
    private const string Magic = "tinyimage-build-record 1";

    /// <summary>The longest record read.</summary>
    private const int MaxRecordBytes = 64 << 20;

    /// <summary>
    /// The steps whose every host lookup goes through <see cref="HostFileStatus"/> or <see cref="InputRecorder.Observe"/>
    /// (a test compares a build's record with strace of it: AddBinary, WithLibs, AddFile, AddDirectory, WithPasswd, and
    /// the review and SBOM every build makes; the others look things up the same ways, or not at all). A spec with any
    /// other step is always built.
    /// </summary>
    private static readonly HashSet<Type> RecordedSteps =
    [
        typeof(AddBinaryStep), typeof(AddFileStep), typeof(AddDirectoryStep), typeof(AddLibraryStep), typeof(AddTextStep),
        typeof(MkDirStep), typeof(SymlinkStep), typeof(WithLibsStep), typeof(WithPasswdStep), typeof(WithUserStep),
    ];

    /// <summary>What a build made, as a record keeps it.</summary>
    public sealed record Made(
        IReadOnlyList<(string Path, bool FollowLinks, string Identity)> Inputs,
        IReadOnlyList<(string Path, string Identity)> Outputs,
        byte[] Config,
        byte[] Manifest,
        IReadOnlyList<Layer> Layers,
        IReadOnlyList<string> Hints,
        IReadOnlyList<LargeFile> Largest,
        IReadOnlyList<string> Sources);

    /// <summary>
    /// The key of the build of <paramref name="spec"/>, or null when such a build is never skipped: an image on a base
    /// image, from Debian packages, from a sysroot or another root, an OCI layout, or a step not in <see cref="RecordedSteps"/>.
    /// </summary>
    public static string? KeyOf(ImageSpec spec, ImageReference reference, Platform platform, ImagePipelineOptions options)
    {
        if (spec.Base is not null || spec.RootImage is not null || spec.Packages is not null || spec.Root is not null
            || options.Format != ImageFormat.Archive || options.Resolver.Files.Root != "/"
            || spec.Steps.Any(s => !RecordedSteps.Contains(s.GetType())))
            return null;
        return Fingerprint.Of(Magic, BuildOfTinyImage.Value, spec, reference.ToString(), platform, options.Resolver, options.Layers,
            options.LayerAssignments, options.Strict, options.WriteSbom);
    }

    /// <summary>This build of TinyImage and the runtime it runs on: another may make another image of the same spec.</summary>
    private static readonly Lazy<string> BuildOfTinyImage = new(() =>
        $"{typeof(UnchangedBuilds).Assembly.ManifestModule.ModuleVersionId:N} {Assembly.GetEntryAssembly()?.ManifestModule.ModuleVersionId:N} {Environment.Version}");

    /// <summary>The record under <paramref name="key"/>, or null when there is none or it does not parse.</summary>
    public Made? Read(string key)
    {
        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAllBytes(PathOf(key), MaxRecordBytes);
        }
        catch (TinyImageException)
        {
            return null;
        }
        try
        {
            return Parse(Encoding.UTF8.GetString(bytes));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Keeps <paramref name="made"/> under <paramref name="key"/> (a temporary file, renamed); a failure to write it only costs the next build its skip.</summary>
    public void Write(string key, Made made)
    {
        var text = Format(made);
        var path = PathOf(key);
        var temporary = path + "." + Path.GetRandomFileName() + ".tmp";
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.TryDelete(temporary);
        }
    }

    private string PathOf(string key) => Path.Combine(directory, key);

    // One item per line, fields separated by tabs; text that may hold anything (paths, hints) in base64.
    private static string Format(Made made)
    {
        var text = new StringBuilder(Magic).Append('\n');
        foreach (var (path, follow, identity) in made.Inputs) text.Append("in\t").Append(follow ? 'L' : 'P').Append('\t').Append(identity).Append('\t').Append(B64(path)).Append('\n');
        foreach (var (path, identity) in made.Outputs) text.Append("out\t").Append(identity).Append('\t').Append(B64(path)).Append('\n');
        text.Append("config\t").Append(Convert.ToBase64String(made.Config)).Append('\n');
        text.Append("manifest\t").Append(Convert.ToBase64String(made.Manifest)).Append('\n');
        foreach (var l in made.Layers)
            text.Append("layer\t").Append(l.Digest).Append('\t').Append(l.DiffId).Append('\t').Append(l.Size).Append('\t').Append(l.UncompressedSize).Append('\t')
                .Append(B64(l.MediaType)).Append('\t').Append(l.FileCount).Append('\t').Append(l.EntryCount).Append('\t').Append(l.ContentSize).Append('\t').Append(B64(l.BlobPath)).Append('\n');
        foreach (var hint in made.Hints) text.Append("hint\t").Append(B64(hint)).Append('\n');
        foreach (var large in made.Largest) text.Append("large\t").Append(large.Size).Append('\t').Append(B64(large.Path)).Append('\t').Append(B64(large.Why)).Append('\n');
        foreach (var source in made.Sources) text.Append("source\t").Append(B64(source)).Append('\n');
        return text.Append("end\n").ToString();
    }

    private static Made? Parse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length < 3 || lines[0] != Magic || lines[^1] != "" || lines[^2] != "end") return null;
        var inputs = new List<(string, bool, string)>();
        var outputs = new List<(string, string)>();
        var layers = new List<Layer>();
        var hints = new List<string>();
        var largest = new List<LargeFile>();
        var sources = new List<string>();
        byte[]? config = null, manifest = null;
        foreach (var line in lines.AsSpan(1, lines.Length - 3))
        {
            var f = line.Split('\t');
            switch (f[0])
            {
                case "in" when f.Length == 4 && f[1] is "L" or "P": inputs.Add((Unb64(f[3]), f[1] == "L", f[2])); break;
                case "out" when f.Length == 3: outputs.Add((Unb64(f[2]), f[1])); break;
                case "config" when f.Length == 2: config = Convert.FromBase64String(f[1]); break;
                case "manifest" when f.Length == 2: manifest = Convert.FromBase64String(f[1]); break;
                case "layer" when f.Length == 10:
                    layers.Add(new Layer
                    {
                        Digest = Digest.Parse(f[1]), DiffId = Digest.Parse(f[2]), Size = long.Parse(f[3]), UncompressedSize = long.Parse(f[4]),
                        MediaType = Unb64(f[5]), FileCount = int.Parse(f[6]), EntryCount = int.Parse(f[7]), ContentSize = long.Parse(f[8]), BlobPath = Unb64(f[9]),
                    });
                    break;
                case "hint" when f.Length == 2: hints.Add(Unb64(f[1])); break;
                case "large" when f.Length == 4: largest.Add(new LargeFile(Unb64(f[2]), long.Parse(f[1]), Unb64(f[3]))); break;
                case "source" when f.Length == 2: sources.Add(Unb64(f[1])); break;
                default: return null;
            }
        }
        if (config is null || manifest is null) return null; // (no inputs: an image of the spec alone, AddText and the like)
        // The manifest must name this config and these layers, in order: a record is believed only when it is whole.
        var names = Encoding.UTF8.GetString(manifest);
        if (!names.Contains(Digest.Compute(config).ToString(), StringComparison.Ordinal)) return null;
        var at = 0;
        foreach (var layer in layers)
            if ((at = names.IndexOf(layer.Digest.ToString(), at, StringComparison.Ordinal)) < 0) return null;
        return new Made(inputs, outputs, config, manifest, layers, hints, largest, sources);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Unb64(string text) => Encoding.UTF8.GetString(Convert.FromBase64String(text));
}
