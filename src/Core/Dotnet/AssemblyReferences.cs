using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;
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
    public static IReadOnlyList<string>? Read(string hostPath) => ReadMetadata(hostPath, false)?.References;

    /// <summary>
    /// The assemblies <paramref name="hostPath"/> references, and every word of its string literals (#US heap) and
    /// blobs (#Blob heap, which holds custom attributes' string arguments) that could be an assembly name: what it may
    /// load by name (<c>Type.GetType("T, System.Diagnostics.StackTrace")</c>, <c>Assembly.Load("...")</c>,
    /// <c>[TypeConverter("T, System.ComponentModel.TypeConverter")]</c>). Null when it is not a managed assembly.
    /// </summary>
    public static ManagedAssemblyNames? ReadNames(string hostPath) => ReadMetadata(hostPath, true);

    private static ManagedAssemblyNames? ReadMetadata(string hostPath, bool mentioned)
    {
        using var stream = RegularFile.OpenRead(hostPath);
        if (stream.Length > MaxBytes) return null;
        try
        {
            using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
            if (!pe.HasMetadata) return null;
            var metadata = pe.GetMetadataReader();
            var references = metadata.AssemblyReferences.Select(r => metadata.GetString(metadata.GetAssemblyReference(r).Name)).ToList();
            var words = new HashSet<string>(StringComparer.Ordinal);
            if (mentioned)
            {
                var block = pe.GetMetadata().GetContent().AsSpan();
                AddWords(Heap(metadata, block, HeapIndex.UserString) is var us ? Encoding.Unicode.GetString(us[..(us.Length & ~1)]) : "", words);
                AddWords(Encoding.Latin1.GetString(Heap(metadata, block, HeapIndex.Blob)), words);
            }
            return new ManagedAssemblyNames(references, words);
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }

    // A heap's bytes; an empty heap has no meaningful offset.
    private static ReadOnlySpan<byte> Heap(MetadataReader metadata, ReadOnlySpan<byte> block, HeapIndex heap)
    {
        var size = metadata.GetHeapSize(heap);
        var offset = metadata.GetHeapMetadataOffset(heap);
        return size <= 0 || offset < 0 || offset >= block.Length ? [] : block.Slice(offset, Math.Min(size, block.Length - offset));
    }

    // The runs of characters an assembly name is made of (letters, digits, '_', '.', '-').
    private static void AddWords(string text, HashSet<string> words)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inName = i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.' or '-');
            if (inName && start < 0) start = i;
            else if (!inName && start >= 0)
            {
                if (i - start > 1) words.Add(text[start..i]);
                start = -1;
            }
        }
    }
}
