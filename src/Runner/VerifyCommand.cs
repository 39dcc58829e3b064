using TinyImage.Core.Layers;
using System.Text.Json;
using System.CommandLine;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Oci;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary>
/// <c>tinyrun verify RECIPE IMAGE [--arg NAME=VALUE]...</c>: rebuilds the recipe's images in a temporary directory and
/// checks that their manifest digests are the ones in IMAGE (a tar or OCI layout written by tinyrun), compressing every
/// layer afresh (the layer cache is not used). Exit 0 when all match, 1 when one differs (printing both digests), so a
/// CI job can prove a published image comes from its recipe.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var command = new Command("verify", """
            Rebuild a recipe and check that it gives the same manifest digests as an image it built before (with the
            same --arg values and SOURCE_DATE_EPOCH). Exits 1 when an image differs.

            Examples:
              tinyrun verify recipes/bash-ls.tiny.csx out/ls.tar
              tinyrun verify app.tiny.csx app.tar --arg version=1.2
            """);
        var recipe = new Argument<string>("recipe") { Description = "The recipe, e.g. recipes/bash-ls.tiny.csx." };
        var image = new Argument<string>("image") { Description = "The image tar or OCI layout directory to check, e.g. out/ls.tar." };
        var args = CommandLineValues.Arguments("A recipe parameter NAME=VALUE, as given to the build; repeatable.");
        command.Arguments.Add(recipe);
        command.Arguments.Add(image);
        command.Options.Add(args);
        command.SetAction(async (parse, cancellationToken) =>
            await RunAsync(parse.GetValue(recipe)!, parse.GetValue(image)!, parse.GetValue(args)!, cancellationToken)
                .ConfigureAwait(false));
        return command;
    }

    private static async Task<int> RunAsync(string recipePath, string imagePath, IReadOnlyDictionary<string, string> arguments, CancellationToken cancellationToken)
    {
        var expected = await ImageArchiveReader.ReadManifestsAsync(imagePath, cancellationToken).ConfigureAwait(false);
        // Without the layer cache: a cache entry is trusted for its content, not for its compressed bytes, and the
        // point here is to show that the recipe alone gives the image. Packages exactly as the lock pins them.
        var options = new BuildService.Options { Arguments = arguments, UseLayerCache = false, LockMode = LockMode.Pinned };
        using var service = await BuildService.OpenAsync(recipePath, options, new Reporter(quiet: true, verbose: false), cancellationToken).ConfigureAwait(false);
        var named = service.Images;
        var temp = Directory.CreateTempSubdirectory("tinyrun-verify-").FullName;
        try
        {
            var checkedAny = false;
            foreach (var (spec, reference) in named)
            {
                var match = expected.Where(m => m.Name == reference.FullyQualified || m.Name == reference.Tag).ToList();
                if (match.Count == 0 && expected.Count == 1 && named.Count == 1) match = [.. expected];
                if (match.Count == 0) continue;
                checkedAny = true;
                // The stored manifest's digest covers its layers' compression: rebuild with gzip, zstd, then gzip-fast, until one matches.
                // And its platform: any of the recipe's.
                var attempts = new List<(Platform? Platform, LayerCompression Compression, BuiltImage Image)>();
                foreach (var platform in spec.Platforms.Length > 0 ? spec.Platforms.Select(p => (Platform?)p) : [null])
                    foreach (var compression in new[] { LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.GzipFast })
                    {
                        if (attempts.Count > 0 && attempts[^1].Image.ManifestDigest == match[0].Manifest) break;
                        attempts.Add((platform, compression, await service.PipelineWith(compression)
                            .BuildAsync(spec, reference, Path.Combine(temp, reference.ShortName + ".tar"), cancellationToken, platform).ConfigureAwait(false)));
                    }
                var rebuilt = attempts[^1].Image;
                if (rebuilt.ManifestDigest != match[0].Manifest)
                {
                    Console.Out.WriteLine($"{reference}  DIFFERS: {Differs(imagePath, match[0].Manifest, attempts)}");
                    return Program.ExitFailure;
                }
                Console.Out.WriteLine($"{reference}  {rebuilt.ManifestDigest}  verified");
            }
            if (!checkedAny)
                throw new TinyImageException($"{imagePath} holds none of the images {recipePath} defines ({string.Join(", ", named.Select(n => n.Reference))}); check the recipe and the image");
            return Program.ExitOk;
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// What differs, after "DIFFERS: ": the archive's digest, and that of the rebuild a normal build would give for it
    /// (the compression its layers use, gzip at the default level for gzip; its architecture), not the last one tried.
    /// When the two were created at different times (SOURCE_DATE_EPOCH set for one build only), that and what to do.
    /// </summary>
    private static string Differs(string imagePath, Digest expected, IReadOnlyList<(Platform? Platform, LayerCompression Compression, BuiltImage Image)> attempts)
    {
        var archived = ImageArchiveReader.Read(imagePath).FirstOrDefault(i => i.ManifestDigest == expected);
        var compression = archived?.Layers.Any(l => l.MediaType.EndsWith("zstd", StringComparison.Ordinal)) == true ? LayerCompression.Zstd : LayerCompression.Gzip;
        var architecture = archived?.Config.TryGetProperty("architecture", out var value) == true && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var rebuilt = attempts.Where(a => a.Compression == compression).OrderBy(a => a.Platform is null || a.Platform.Architecture == architecture ? 0 : 1)
            .Select(a => a.Image).FirstOrDefault() ?? attempts[^1].Image;
        var line = $"{imagePath} has {expected}, the recipe now gives {rebuilt.ManifestDigest}";
        if (archived is null) return line;
        var (was, now) = (ImageDocuments.CreatedOf(archived.ConfigBytes), ImageDocuments.CreatedOf(rebuilt.ConfigBytes));
        if (was == now) return line;
        var fix = was == DateTimeOffset.UnixEpoch ? "unset SOURCE_DATE_EPOCH" : $"set SOURCE_DATE_EPOCH={was.ToUnixTimeSeconds()}";
        return $"{line}; the archive was created {ImageDocuments.FormatTime(was)} and this rebuild {ImageDocuments.FormatTime(now)}: {fix} and verify again";
    }
}
