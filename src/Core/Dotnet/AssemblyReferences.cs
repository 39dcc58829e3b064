using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Dotnet;

/// <summary>The names of the assemblies a managed assembly references (its AssemblyRef table), read with System.Reflection.Metadata.</summary>
public static class AssemblyReferences
{
    /// <summary>The largest assembly read; larger files are taken as referencing everything that matters.</summary>
    public const long MaxBytes = 512L << 20;

    /// <summary>
    /// The assemblies <paramref name="hostPath"/> references, or null when it is not a managed assembly (a native DLL,
    /// a resource-only file, or one over <see cref="MaxBytes"/>).
    /// </summary>
    public static IReadOnlyList<string>? Read(string hostPath)
    {
        using var stream = RegularFile.OpenRead(hostPath);
        if (stream.Length > MaxBytes) return null;
        try
        {
            using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
            if (!pe.HasMetadata) return null;
            var metadata = pe.GetMetadataReader();
            return [.. metadata.AssemblyReferences.Select(r => metadata.GetString(metadata.GetAssemblyReference(r).Name))];
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }
}
