using System.Collections.Frozen;
using TinyImage.Core.Build.Steps;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// Turns the steps of an <see cref="ImageSpec"/> into the image's <see cref="FileTree"/>, one handler per kind of step
/// (src/Core/Build/Steps) over a shared build context: the roots files are read from, the tree, the ELF files added
/// so far (what <see cref="WithLibsStep"/> resolves) and the accounts.
/// </summary>
public sealed class TreeAssembler
{
    private static readonly FrozenDictionary<Type, IStepHandler> Handlers = new IStepHandler[]
    {
        new AddBinaryHandler(), new AddFileHandler(), new AddDirectoryHandler(), new AddTextHandler(), new SymlinkHandler(),
        new MkDirHandler(), new WithLibsHandler(), new WithNssHandler(), new WithGconvHandler(), new AddLibraryHandler(),
        new WithCaCertificatesHandler(), new WithTimezonesHandler(), new WithUserHandler(), new WithTerminfoHandler(),
        new WithLocaleHandler(), new TraceHandler(), new WithPasswdHandler(), new WithRuntimeNeedsHandler(), new AddDotnetAppHandler(),
        new WithProgramDataHandler(),
    }.ToFrozenDictionary(h => h.StepType);

    private readonly ResolverOptions _options;
    private readonly ProgramTracer _tracer;
    private readonly Platform? _platform;
    private readonly Action<string> _hint;

    /// <param name="platform">The platform the image is for: a program for another machine is refused. Null: any.</param>
    /// <param name="hint">Where steps' notes go (what Trace left out), a line each; null: nowhere.</param>
    public TreeAssembler(ResolverOptions options, ProgramTracer? tracer = null, Platform? platform = null, Action<string>? hint = null)
    {
        _options = options;
        _tracer = tracer ?? new ProgramTracer();
        _platform = platform;
        _hint = hint ?? (_ => { });
    }

    /// <summary>The result: the files, and the OCI architecture of the first ELF file added (null if none).</summary>
    public sealed record Result(FileTree Tree, string? Architecture)
    {
        /// <summary>The layers the recipe named, in order, with the paths their steps added.</summary>
        public IReadOnlyList<LayerAssignment> Layers { get; init; } = [];

        /// <summary>The run-time settings: the spec's, completed by steps where it left them unset.</summary>
        public ImageConfig Config { get; init; } = new();
    }

    public Result Assemble(ImageSpec spec)
    {
        var context = new BuildContext(_options, _tracer, _hint) { Platform = _platform, Config = spec.Config };
        var layers = new List<(string Name, HashSet<string> Paths)>();
        foreach (var step in spec.Steps)
        {
            try
            {
                var before = step.Layer is null ? null : context.Tree.Paths.ToHashSet(StringComparer.Ordinal);
                if (!Handlers.TryGetValue(step.GetType(), out var handler))
                    throw new InvalidOperationException($"no handler for the build step {step.GetType().Name}");
                handler.Apply(step, context);
                if (step.Layer is { } name)
                {
                    var index = layers.FindIndex(l => l.Name == name);
                    if (index < 0) layers.Add((name, new HashSet<string>(StringComparer.Ordinal)));
                    layers[index < 0 ? ^1 : index].Paths.UnionWith(context.Tree.Paths.Where(p => !before!.Contains(p)));
                }
            }
            catch (TinyImageException e) when (step.Origin is { } origin && !e.Message.StartsWith(origin.ToString(), StringComparison.Ordinal))
            {
                throw new TinyImageException(SourceLocation.Prefix(origin, e.Message), e);
            }
        }
        context.ApplyOwners();
        return new Result(context.Tree, context.Architecture) { Layers = [.. layers.Select(l => new LayerAssignment(l.Name, l.Paths))], Config = context.Config };
    }
}
