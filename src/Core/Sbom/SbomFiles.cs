using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sbom;

/// <summary>Writes an image's SBOMs beside it: <c>out/NAME.spdx.json</c> and <c>out/NAME.cdx.json</c> for <c>out/NAME.tar</c> (or the layout <c>out/NAME</c>).</summary>
public static class SbomFiles
{
    /// <summary>The two paths for the image written to <paramref name="outputPath"/>: SPDX, then CycloneDX.</summary>
    public static (string Spdx, string CycloneDx) PathsBeside(string outputPath)
    {
        var full = Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath);
        var stem = full.EndsWith(".tar", StringComparison.Ordinal) ? full[..^".tar".Length] : full;
        return (stem + ".spdx.json", stem + ".cdx.json");
    }

    /// <summary>Writes both documents of <paramref name="document"/> beside <paramref name="outputPath"/>, each to a temporary name then renamed.</summary>
    public static async Task<(string Spdx, string CycloneDx)> WriteBesideAsync(string outputPath, SbomDocument document, CancellationToken cancellationToken)
    {
        var paths = PathsBeside(outputPath);
        // Temporary names the image's own sweep knows (.NAME.tar.*.tmp): a killed build's are removed by the next one.
        var prefix = "." + Path.GetFileName(Path.GetFullPath(outputPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : outputPath)) + ".";
        await WriteAsync(paths.Spdx, prefix, SpdxWriter.Write(document), cancellationToken).ConfigureAwait(false);
        await WriteAsync(paths.CycloneDx, prefix, CycloneDxWriter.Write(document), cancellationToken).ConfigureAwait(false);
        return paths;
    }

    private static async Task WriteAsync(string path, string prefix, byte[] bytes, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $"{prefix}{Path.GetRandomFileName()}.tmp");
        try
        {
            // Locked while written, as every temporary file of a build is, so a concurrent build's sweep leaves it.
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e)
        {
            TemporaryFiles.TryDelete(temporary);
            if (e is IOException or UnauthorizedAccessException)
                throw new TinyImageException($"cannot write the SBOM {path}: {e.Message}; check that its directory is writable", e);
            throw;
        }
    }
}
