namespace TinyImage.Core.Dotnet;

/// <summary>The version of an installed framework, a directory name such as <c>10.0.12</c> or <c>10.0.0-rc.2.25502.107</c>.</summary>
public sealed record FrameworkVersion(int Major, int Minor, int Patch, string? Prerelease, string Text) : IComparable<FrameworkVersion>
{
    /// <summary>Parses MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]; null when <paramref name="text"/> is not one.</summary>
    public static FrameworkVersion? TryParse(string text)
    {
        var core = text.Split('+')[0];
        var dash = core.IndexOf('-');
        var numbers = (dash < 0 ? core : core[..dash]).Split('.');
        return numbers.Length == 3
            && int.TryParse(numbers[0], System.Globalization.NumberStyles.None, null, out var major)
            && int.TryParse(numbers[1], System.Globalization.NumberStyles.None, null, out var minor)
            && int.TryParse(numbers[2], System.Globalization.NumberStyles.None, null, out var patch)
            ? new FrameworkVersion(major, minor, patch, dash < 0 ? null : core[(dash + 1)..], text)
            : null;
    }

    /// <summary>
    /// The version hostfxr rolls <paramref name="requested"/> forward to among <paramref name="installed"/> under the policy
    /// <paramref name="rollForward"/> (docs/design/features/framework-version-resolution.md in dotnet/runtime): the lowest
    /// acceptable major.minor (the highest for Latest*), then its latest patch (none for Disable). Prereleases are chosen
    /// only when the request is one. Null when none is acceptable.
    /// </summary>
    public static FrameworkVersion? RollForward(FrameworkVersion requested, string rollForward, IReadOnlyList<FrameworkVersion> installed, string configName)
    {
        var candidates = installed.Where(v => v.CompareTo(requested) >= 0 && (v.Prerelease is null || requested.Prerelease is not null)).ToList();
        var policy = rollForward.ToLowerInvariant();
        candidates = policy switch
        {
            "disable" => candidates.Where(v => v.CompareTo(requested) == 0).ToList(),
            "latestpatch" => candidates.Where(v => v.Major == requested.Major && v.Minor == requested.Minor).ToList(),
            "minor" or "latestminor" => candidates.Where(v => v.Major == requested.Major).ToList(),
            "major" or "latestmajor" => candidates,
            _ => throw new TinyImageException($"{configName}: rollForward '{rollForward}' is not one of Minor, LatestPatch, Major, LatestMinor, LatestMajor, Disable; fix the project's RollForward"),
        };
        if (candidates.Count == 0) return null;
        if (policy == "disable") return candidates[0];
        var band = policy is "latestminor" or "latestmajor" ? candidates.Max()! : candidates.Min()!;
        // Minor and Major take the requested major.minor when it is installed, else the lowest above it.
        return candidates.Where(v => v.Major == band.Major && v.Minor == band.Minor).Max();
    }

    public int CompareTo(FrameworkVersion? other)
    {
        if (other is null) return 1;
        var byNumbers = (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));
        if (byNumbers != 0) return byNumbers;
        if (Prerelease is null || other.Prerelease is null) return (Prerelease is null).CompareTo(other.Prerelease is null);
        return string.CompareOrdinal(Prerelease, other.Prerelease);
    }

    public override string ToString() => Text;
}
