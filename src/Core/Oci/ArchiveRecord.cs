using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Oci;

/// <summary>
/// What <see cref="ImageArchiveWriter"/> last wrote to an output path: what decides the archive's bytes (its identity:
/// the image's manifest digest, the name, the explanation and this build of TinyImage) and the SHA-256 of the bytes
/// written. A build of the same identity leaves the archive alone when the file there still hashes to that SHA-256: an
/// unchanged rebuild reads the archive once instead of writing it again (2 MB for bash+ls). A file changed, replaced
/// or truncated since hashes otherwise and is written again; the record is one line in the layer cache's
/// <c>measured</c> directory (which a prune empties), keyed by the output's full path.
/// </summary>
internal sealed class ArchiveRecord(string directory, string outputPath, string identity)
{
    private const string Kind = "tinyimage-archive-written-1";
    private const int MaxRecordBytes = 1024;

    private readonly string _path = Path.Combine(directory,
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Kind}\0{outputPath}"))));

    /// <summary>What decides the bytes <see cref="ImageArchiveWriter.WriteTar"/> gives, as a hash.</summary>
    public static string Identity(IImage image, Spec.ImageReference reference, byte[]? explanation) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{Kind}\0{typeof(ArchiveRecord).Assembly.ManifestModule.ModuleVersionId}\0{reference}\0{image.ManifestDigest}\0" +
            (explanation is null ? "-" : Convert.ToHexStringLower(SHA256.HashData(explanation))))));

    /// <summary>Whether the output holds what an archive of this identity is: recorded, and the file (never through a link, never a FIFO) hashes to it.</summary>
    public bool IsWritten()
    {
        try
        {
            var line = Encoding.UTF8.GetString(RegularFile.ReadAllBytes(_path, MaxRecordBytes)).TrimEnd('\n').Split(' ');
            if (line is not [var recorded, var hash] || recorded != identity || hash.Length != 64) return false;
            using var file = RegularFile.OpenRead(outputPath, 1 << 17);
            return Convert.ToHexStringLower(SHA256.HashData(file)) == hash;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
        {
            return false;
        }
    }

    /// <summary>Records that the output now holds an archive of this identity whose bytes hash to <paramref name="hash"/>; best effort.</summary>
    public void Remember(string hash) => TemporaryFiles.TryReplace(_path, $"{identity} {hash}\n");

    /// <summary>Sets the output's modification time to now, as writing it would: tools that compare times (make) see it built.</summary>
    public static void Touch(string outputPath)
    {
        try { File.SetLastWriteTimeUtc(outputPath, DateTime.UtcNow); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
