using System.Runtime.InteropServices;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// From an <see cref="ImageSpec"/> to a finished image archive: assemble the file tree (binaries,
/// loader, libraries), write the layer and the image documents, rename the archive into place.
/// </summary>
public sealed class ImagePipeline
{
    private readonly ImagePipelineOptions _options;

    public ImagePipeline(ImagePipelineOptions options) => _options = options;

    public async Task<BuiltImage> BuildAsync(ImageSpec spec, ImageReference reference, string outputPath, CancellationToken cancellationToken)
    {
        var assembled = new TreeAssembler(_options.Resolver).Assemble(spec);
        var architecture = spec.Config.Architecture ?? assembled.Architecture ?? HostArchitecture();
        return await new ImageArchiveWriter(_options.Layers)
            .WriteAsync(assembled.Tree.Entries(), spec.Config, architecture, reference, outputPath, cancellationToken)
            .ConfigureAwait(false);
    }

    private static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        _ => "amd64",
    };
}
