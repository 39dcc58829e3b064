using System.Globalization;
using TinyImage.Core.Elf;
using TinyImage.Core.Layers;

namespace TinyImage.Core.Build;

/// <summary>How images are resolved and written.</summary>
public sealed record ImagePipelineOptions
{
    public ResolverOptions Resolver { get; init; } = new();
    public LayerOptions Layers { get; init; } = new();

    /// <summary>Defaults, with file and image times taken from SOURCE_DATE_EPOCH when it is set.</summary>
    public static ImagePipelineOptions FromEnvironment()
    {
        var options = new ImagePipelineOptions();
        var epoch = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(epoch)) return options;
        if (!long.TryParse(epoch, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
            throw new TinyImageException($"SOURCE_DATE_EPOCH='{epoch}' is not a number of seconds since 1970; set it to e.g. $(git log -1 --format=%ct) or unset it");
        return options with { Layers = options.Layers with { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(seconds) } };
    }
}
