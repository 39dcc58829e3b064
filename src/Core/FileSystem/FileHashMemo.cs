using System.Security.Cryptography;
using System.Text;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// Remembers a host file's SHA-256 and SHA-1 (what an SBOM lists for every file) under its path and
/// <see cref="FileStamp"/>, so that a rebuild does not read an unchanged file again; a file changed too recently to
/// trust its stamp (<see cref="FileStamp.IsSettled"/>) is always read. Entries are <c>DIR/KEYHEX</c> holding
/// <c>SHA256HEX SHA1HEX</c>, written to a temporary name and renamed; one that does not parse is a miss.
/// </summary>
/// <param name="directory">Where the entries go (the layer cache's <c>measured</c> directory, which a prune empties).</param>
public sealed class FileHashMemo(string directory)
{
    /// <summary>The clock that says whether a file's stamp has settled; tests move it on.</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The SHA-256 and SHA-1 (lowercase hex) of <paramref name="hostPath"/>, remembered or made by <paramref name="hash"/>.</summary>
    public (string Sha256, string Sha1) Of(string hostPath, Func<(string Sha256, string Sha1)> hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var stamp = HostFileStatus.StampOf(hostPath);
        if (stamp is not { } before || !before.IsSettled(Time.GetUtcNow())) return hash();
        var path = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"tinyimage-file-hashes\0{hostPath}\0{before}"))));
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).TrimEnd('\n').Split(' ') is [{ Length: 64 } sha256, { Length: 40 } sha1]
                && sha256.All(char.IsAsciiHexDigitLower) && sha1.All(char.IsAsciiHexDigitLower))
                return (sha256, sha1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        var hashes = hash();
        if (HostFileStatus.StampOf(hostPath) != before) return hashes; // changed while it was read: remember nothing
        TemporaryFiles.TryReplace(path, $"{hashes.Sha256} {hashes.Sha1}\n");
        return hashes;
    }
}
