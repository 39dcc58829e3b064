using System.Security.Cryptography;
using System.Text;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// Remembers a host file's SHA-256 and SHA-1 (what an SBOM lists for every file), its MD5 (what a package's md5sums
/// lists) and other short facts about its content (a line, or a few lines) under its path and <see cref="FileStamp"/>, so
/// that a rebuild does not read an unchanged file again; a file changed too recently to trust its stamp
/// (<see cref="FileStamp.IsSettled"/>) is always read. Entries are <c>DIR/KEYHEX</c> holding the text (e.g.
/// <c>SHA256HEX SHA1HEX</c>), written to a temporary name and renamed; one that does not parse is a miss.
/// </summary>
/// <param name="directory">Where the entries go (the layer cache's <c>measured</c> directory, which a prune empties).</param>
public sealed class FileHashMemo(string directory)
{
    /// <summary>The longest entry read: the review's remembered strings, the largest kind, stay well under it.</summary>
    private const int MaxEntryBytes = 16 << 20;

    /// <summary>The clock that says whether a file's stamp has settled; tests move it on.</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether <paramref name="hostPath"/> is a regular file whose facts would be remembered now: one that has not changed for a while.</summary>
    public bool IsSettled(string hostPath) => HostFileStatus.StampOf(hostPath) is { } stamp && stamp.IsSettled(Time.GetUtcNow());

    /// <summary>The SHA-256 and SHA-1 (lowercase hex) of <paramref name="hostPath"/>, remembered or made by <paramref name="hash"/>.</summary>
    public (string Sha256, string Sha1) Of(string hostPath, Func<(string Sha256, string Sha1)> hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        (string, string)? made = null;
        var text = Remember(hostPath, "tinyimage-file-hashes", () =>
        {
            var hashes = hash();
            made = hashes;
            return $"{hashes.Sha256} {hashes.Sha1}";
        }, t => t.Split(' ') is [{ Length: 64 } sha256, { Length: 40 } sha1] && sha256.All(char.IsAsciiHexDigitLower) && sha1.All(char.IsAsciiHexDigitLower));
        return made ?? (text[..64], text[65..]);
    }

    /// <summary>The MD5 (lowercase hex) of <paramref name="hostPath"/>, remembered or made by <paramref name="hash"/>: what a package's md5sums lists.</summary>
    public string Md5Of(string hostPath, Func<string> hash) =>
        Remember(hostPath, "tinyimage-file-md5", hash, t => t.Length == 32 && t.All(char.IsAsciiHexDigitLower));

    /// <summary>
    /// The <paramref name="kind"/> of text about <paramref name="hostPath"/>'s content (a hash, a check's result)
    /// remembered under its stamp, or made by <paramref name="make"/> and remembered when <paramref name="isValid"/>
    /// accepts it and the file did not change while it was made.
    /// </summary>
    public string Remember(string hostPath, string kind, Func<string> make, Func<string, bool> isValid)
    {
        ArgumentNullException.ThrowIfNull(make);
        ArgumentNullException.ThrowIfNull(isValid);
        var stamp = HostFileStatus.StampOf(hostPath);
        if (stamp is not { } before || !before.IsSettled(Time.GetUtcNow())) return make();
        var path = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}\0{hostPath}\0{before}"))));
        try
        {
            // Read as RegularFile reads: never through a link, a FIFO refused rather than waited on, and bounded.
            if (Encoding.UTF8.GetString(RegularFile.ReadAllBytes(path, MaxEntryBytes)).TrimEnd('\n') is var remembered && isValid(remembered))
                return remembered;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException) { }
        var text = make();
        if (!isValid(text) || HostFileStatus.StampOf(hostPath) != before) return text; // changed while it was read: remember nothing
        TemporaryFiles.TryReplace(path, text + "\n");
        return text;
    }
}
