using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sbom;

/// <summary>The distribution a root is (<c>/etc/os-release</c>: <c>ID</c>, <c>VERSION_ID</c>, <c>PRETTY_NAME</c>), as scanners read it.</summary>
public sealed record OsRelease(string Id, string? VersionId, string? PrettyName)
{
    private const int MaxSize = 64 << 10;

    /// <summary>The distribution <paramref name="root"/> says it is, or null when it has no readable os-release.</summary>
    public static OsRelease? Read(HostFiles root)
    {
        foreach (var path in new[] { "/etc/os-release", "/usr/lib/os-release" })
        {
            if (root.Resolve(path) is not { } found || !root.Status(found.RealPath).IsFile) continue;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in RegularFile.ReadAllLines(root.HostPath(found.RealPath), MaxSize))
            {
                var equals = line.IndexOf('=');
                if (equals <= 0 || line.StartsWith('#')) continue;
                fields[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"', '\'');
            }
            return fields.TryGetValue("ID", out var id) && id.Length > 0
                ? new OsRelease(id, fields.GetValueOrDefault("VERSION_ID"), fields.GetValueOrDefault("PRETTY_NAME"))
                : null;
        }
        return null;
    }

    /// <summary>The purl <c>distro</c> qualifier: <c>debian-12</c>.</summary>
    public string Distro => VersionId is { Length: > 0 } version ? $"{Id}-{version}" : Id;
}
