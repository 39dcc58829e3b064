namespace TinyImage.Core.Dotnet;

/// <summary>How a .NET application was published, which decides what else it needs in an image.</summary>
public enum DotnetAppKind
{
    /// <summary>Its runtimeconfig names shared frameworks: they, the host (hostfxr) and the <c>dotnet</c> muxer come from a dotnet root.</summary>
    FrameworkDependent,

    /// <summary>The runtime is in the publish directory (runtimeconfig <c>includedFrameworks</c>, <c>libcoreclr.so</c>).</summary>
    SelfContained,

    /// <summary>One executable with the runtime and the assemblies bundled in it (<c>PublishSingleFile</c>).</summary>
    SingleFile,

    /// <summary>A native executable compiled ahead of time (<c>PublishAot</c>): no runtime, no assemblies.</summary>
    NativeAot,
}
