using System.Formats.Tar;
using System.Text;
using TinyImage.Core.Oci;
using TinyImage.Tests.Images;

namespace TinyImage.Tests.Sources;

/// <summary>
/// An OCI layout as BuildKit writes one for several platforms: <c>index.json</c> names one nested index, which names a
/// manifest per architecture (each with an annotation, so that no writer of ours would make the same bytes) and an
/// <c>unknown/unknown</c> attestation. Written as a tar or as a directory.
/// </summary>
internal sealed class MultiPlatformLayout
{
    private readonly List<(string Name, byte[] Data)> _members = [("oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray())];
    private readonly Dictionary<string, byte[]> _manifests = [];

    public MultiPlatformLayout(params string[] architectures)
    {
        var entries = new List<string>();
        foreach (var architecture in architectures)
        {
            var tar = TestLayout.Tar([new("etc/", TarEntryType.Directory), new("etc/arch", Content: architecture + "\n")]);
            var layer = Blob(MediaTypes.LayerGzip, TestLayout.Gzip(tar));
            var config = Blob(MediaTypes.ImageConfig, Encoding.UTF8.GetBytes(
                $$$"""{"architecture":"{{{architecture}}}","os":"linux","config":{"Cmd":["/bin/{{{architecture}}}"]},"rootfs":{"type":"layers","diff_ids":["{{{Digest.Compute(tar)}}}"]}}"""));
            var manifest = Encoding.UTF8.GetBytes(
                $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.ImageManifest}}}","config":{{{config}}},"layers":[{{{layer}}}],"annotations":{"built.for":"{{{architecture}}}"}}""");
            _manifests[architecture] = manifest;
            entries.Add(Blob(MediaTypes.ImageManifest, manifest)[..^1] + $$$""","platform":{"architecture":"{{{architecture}}}","os":"linux"}}""");
        }
        var attestation = Blob(MediaTypes.ImageManifest, Encoding.UTF8.GetBytes("""{"schemaVersion":2,"layers":[]}"""));
        entries.Add(attestation[..^1] + ""","platform":{"architecture":"unknown","os":"unknown"}}""");
        var nested = Blob(MediaTypes.ImageIndex, Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.ImageIndex}}","manifests":[{{string.Join(",", entries)}}]}"""));
        _members.Add(("index.json", Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"manifests":[{{{nested[..^1]}}},"annotations":{"io.containerd.image.name":"docker.io/library/multi:1"}}]}""")));
    }

    /// <summary>The exact bytes of the manifest of <paramref name="architecture"/>.</summary>
    public byte[] Manifest(string architecture) => _manifests[architecture];

    /// <summary>Writes the layout as a tar and returns its path.</summary>
    public string WriteTar(string path) => HandMadeArchive.Write(path, _members);

    /// <summary>Writes the layout as a directory and returns its path.</summary>
    public string WriteDirectory(string directory)
    {
        foreach (var (name, data) in _members)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(directory, name))!);
            File.WriteAllBytes(Path.Combine(directory, name), data);
        }
        return directory;
    }

    /// <summary>Adds a blob and returns its descriptor's JSON.</summary>
    private string Blob(string mediaType, byte[] data)
    {
        var digest = Digest.Compute(data);
        _members.Add((ImageDocuments.BlobPath(digest), data));
        return $$"""{"mediaType":"{{mediaType}}","digest":"{{digest}}","size":{{data.Length}}}""";
    }
}
