using System.Globalization;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Debian;

/// <summary>
/// A lock file (<c>NAME.tiny.lock</c> beside its recipe): one or more <see cref="PackageLock"/>s written as deb822
/// stanzas, so it reads and diffs like a Packages file. Written deterministically (sets sorted by request, packages by
/// name); read strictly, every error one line naming the file, the line and the field.
/// </summary>
/// <remarks>
/// <code>
/// # Debian packages pinned by tinyrun ...
/// Lock-Format: tinyrun-debian 1
///
/// Suite: bookworm                   (a set: one request and what it resolved to)
/// Architecture: amd64
/// Components: main
/// Install: hello
/// Recommends: no
/// Release-SHA256: 64 hex digits
/// Release-Date: Sat, 11 Jul 2026 10:16:37 UTC
///
/// Package: hello                    (a package of the set above; one stanza each)
/// Version: 2.10-3
/// Architecture: amd64
/// Size: 53080
/// SHA256: 64 hex digits
/// Filename: pool/main/h/hello/hello_2.10-3_amd64.deb
/// </code>
/// </remarks>
public sealed class PackageLockFile
{
    private const string FormatLine = "tinyrun-debian 1";
    private const long MaxBytes = 64 << 20;
    private const string DateFormat = "ddd, dd MMM yyyy HH:mm:ss 'UTC'";

    private static readonly string[] SetFields = ["Suite", "Architecture", "Components", "Install", "Recommends", "Release-SHA256", "Release-Date"];
    private static readonly string[] PackageFields = ["Package", "Version", "Architecture", "Size", "SHA256", "Filename"];

    /// <summary>A lock file of <paramref name="locks"/>, sorted by request.</summary>
    /// <exception cref="ArgumentException">Two locks of the same request.</exception>
    public PackageLockFile(IEnumerable<PackageLock> locks)
    {
        var sorted = locks.OrderBy(l => SortKey(l.Request), StringComparer.Ordinal).ToList();
        for (var i = 1; i < sorted.Count; i++)
            if (sorted[i].Request.Equals(sorted[i - 1].Request))
                throw new ArgumentException($"two locks for the request {sorted[i].Request}", nameof(locks));
        Locks = sorted;
    }

    /// <summary>Locks are the pinned sets, sorted by request.</summary>
    public IReadOnlyList<PackageLock> Locks { get; }

    /// <summary>Find returns the lock of exactly <paramref name="request"/>, or null (then the lock would change).</summary>
    public PackageLock? Find(PackageRequest request) => Locks.FirstOrDefault(l => l.Request.Equals(request));

    /// <summary>With returns a lock file in which <paramref name="packageLock"/> replaces the lock of the same request, or is added.</summary>
    public PackageLockFile With(PackageLock packageLock) =>
        new(Locks.Where(l => !l.Request.Equals(packageLock.Request)).Append(packageLock));

    /// <summary>ToText writes the lock file; the same locks always give the same bytes.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append("# Debian packages pinned by tinyrun: commit this file; refresh it with `tinyrun lock RECIPE`.\n");
        text.Append("Lock-Format: ").Append(FormatLine).Append('\n');
        foreach (var set in Locks)
        {
            var request = set.Request;
            text.Append('\n')
                .Append("Suite: ").Append(request.Suite).Append('\n')
                .Append("Architecture: ").Append(request.Architecture).Append('\n')
                .Append("Components: ").AppendJoin(' ', request.Components).Append('\n')
                .Append("Install: ").AppendJoin(' ', request.Names).Append('\n')
                .Append("Recommends: ").Append(request.IncludeRecommends ? "yes" : "no").Append('\n')
                .Append("Release-SHA256: ").Append(set.ReleaseSha256).Append('\n')
                .Append("Release-Date: ").Append(set.ReleaseDate.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture)).Append('\n');
            foreach (var package in set.Packages)
                text.Append('\n')
                    .Append("Package: ").Append(package.Name).Append('\n')
                    .Append("Version: ").Append(package.Version).Append('\n')
                    .Append("Architecture: ").Append(package.Architecture).Append('\n')
                    .Append("Size: ").Append(package.Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
                    .Append("SHA256: ").Append(package.Sha256).Append('\n')
                    .Append("Filename: ").Append(package.Filename).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Write writes the lock file to <paramref name="path"/> through a temporary file and a rename.</summary>
    /// <exception cref="TinyImageException">The file cannot be written.</exception>
    public void Write(string path)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            File.WriteAllText(temporary, ToText(), new UTF8Encoding(false));
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.TryDelete(temporary);
            throw new TinyImageException($"cannot write the lock file {path}: {e.Message}", e);
        }
    }

    /// <summary>Read reads and checks the lock file at <paramref name="path"/>.</summary>
    /// <exception cref="TinyImageException">An unreadable file, or an error in it, with its line.</exception>
    public static PackageLockFile Read(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new TinyImageException($"{path}: no such lock file; create it with `tinyrun lock RECIPE`");
            if (info.Length > MaxBytes) throw new TinyImageException($"{path}: larger than {MaxBytes >> 20} MiB; this is not a lock file");
            text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException)
        {
            throw new TinyImageException($"{path}: not UTF-8 text; this is not a lock file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot read the lock file {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parse reads and checks lock file text; <paramref name="fileName"/> names it in errors.</summary>
    /// <exception cref="TinyImageException">The first error found, as <c>FILE(LINE): what</c>.</exception>
    public static PackageLockFile Parse(string text, string fileName)
    {
        var stanzas = ControlStanza.ReadAll(text, fileName);
        if (stanzas.Count == 0 || stanzas[0].Fields.Count != 1 || stanzas[0]["Lock-Format"] is not { } format)
            throw new TinyImageException($"{fileName}({(stanzas.Count > 0 ? stanzas[0].Line : 1)}): not a tinyrun lock file (it starts with 'Lock-Format: {FormatLine}'); create it with `tinyrun lock RECIPE`");
        if (format != FormatLine)
            throw new TinyImageException($"{fileName}({stanzas[0].Line}): lock format '{format}' is not '{FormatLine}'; refresh it with `tinyrun lock RECIPE` (or a newer tinyrun)");

        var locks = new List<PackageLock>();
        PackageRequest? request = null;
        string releaseSha256 = "";
        DateTimeOffset releaseDate = default;
        var packages = new List<LockedPackage>();
        var setLine = 0;
        void Close()
        {
            if (request is null) return;
            if (packages.Count == 0) throw new TinyImageException($"{fileName}({setLine}): the set {request} has no Package stanza");
            var packageLock = new PackageLock(request, releaseSha256, releaseDate, packages.OrderBy(p => p.Name, StringComparer.Ordinal).ToList());
            if (locks.Any(l => l.Request.Equals(request)))
                throw new TinyImageException($"{fileName}({setLine}): a second set for {request}");
            locks.Add(packageLock);
            packages = [];
        }

        foreach (var stanza in stanzas.Skip(1))
        {
            var reader = new StanzaFields(stanza, fileName);
            if (stanza.Find("Suite") is not null)
            {
                Close();
                reader.RequireExactly(SetFields, "a set");
                setLine = stanza.Line;
                var suite = reader.Get("Suite", IsWord, "a suite name");
                var architecture = reader.Get("Architecture", IsWord, "an architecture");
                var components = reader.Get("Components", v => v.Split(' ').All(IsWord), "components separated by spaces").Split(' ');
                var names = reader.Get("Install", v => v.Split(' ').All(IsRequest), "package names separated by spaces").Split(' ');
                var recommends = reader.Get("Recommends", v => v is "yes" or "no", "'yes' or 'no'") == "yes";
                releaseSha256 = reader.Get("Release-SHA256", Sha256Hex.IsValid, "64 lowercase hex digits");
                releaseDate = DateTime.SpecifyKind(DateTime.ParseExact(
                    reader.Get("Release-Date", v => DateTime.TryParseExact(v, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _), "a date such as 'Sat, 11 Jul 2026 10:16:37 UTC'"),
                    DateFormat, CultureInfo.InvariantCulture), DateTimeKind.Utc);
                request = new PackageRequest(suite, architecture, components, names, recommends);
            }
            else if (stanza.Find("Package") is not null)
            {
                if (request is null) throw new TinyImageException($"{fileName}({stanza.Line}): a Package stanza before any set (Suite: ...)");
                reader.RequireExactly(PackageFields, "a package");
                var name = reader.Get("Package", IsPackageName, "a package name");
                var version = reader.Get("Version", v => DebianVersion.TryParse(v, out _) && v == v.Trim(), "a Debian version");
                var architecture = reader.Get("Architecture", v => v == request.Architecture || v == "all", $"'{request.Architecture}' or 'all'");
                var size = long.Parse(reader.Get("Size", v => v.Length is > 0 and <= 12 && v.All(char.IsAsciiDigit), "a size in bytes"), CultureInfo.InvariantCulture);
                var sha256 = reader.Get("SHA256", Sha256Hex.IsValid, "64 lowercase hex digits");
                var filename = reader.Get("Filename", v => PoolPath.IsSafe(v) && v.EndsWith(".deb", StringComparison.Ordinal), "a relative path ending in .deb");
                if (packages.Any(p => p.Name == name))
                    throw new TinyImageException($"{fileName}({stanza.Line}): package {name} is listed twice in the set of line {setLine}");
                packages.Add(new LockedPackage(name, version, architecture, size, sha256, filename));
            }
            else
            {
                throw new TinyImageException($"{fileName}({stanza.Line}): a stanza that is neither a set (Suite: ...) nor a package (Package: ...)");
            }
        }
        Close();
        return new PackageLockFile(locks);
    }

    private static bool IsWord(string value) =>
        value.Length is > 0 and <= 100 && value.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/+") < 0;

    private static bool IsPackageName(string value) =>
        value.Length is > 0 and <= 200 && char.IsAsciiLetterOrDigit(value[0]) && value.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789+-.") < 0;

    private static bool IsRequest(string value)
    {
        var equals = value.IndexOf('=');
        return equals < 0 ? IsPackageName(value) : IsPackageName(value[..equals]) && DebianVersion.TryParse(value[(equals + 1)..], out _);
    }

    private static string SortKey(PackageRequest request) =>
        $"{request.Suite}\n{request.Architecture}\n{string.Join(' ', request.Components)}\n{string.Join(' ', request.Names)}\n{request.IncludeRecommends}";

    /// <summary>The fields of one stanza, checked one by one with their line numbers.</summary>
    private readonly struct StanzaFields(ControlStanza stanza, string fileName)
    {
        public void RequireExactly(string[] expected, string kind)
        {
            foreach (var field in stanza.Fields)
                if (!expected.Contains(field.Name, StringComparer.Ordinal))
                    throw new TinyImageException($"{fileName}({field.Line}): unknown field '{field.Name}' in {kind} stanza (expected {string.Join(", ", expected)})");
            foreach (var name in expected)
                if (stanza.Find(name) is null)
                    throw new TinyImageException($"{fileName}({stanza.Line}): {kind} stanza without '{name}'");
        }

        public string Get(string name, Func<string, bool> isValid, string expectation)
        {
            var field = stanza.Find(name)!.Value;
            if (field.Value.Contains('\n') || !isValid(field.Value))
                throw new TinyImageException($"{fileName}({field.Line}): {name} '{ControlFileReader.Preview(Encoding.UTF8.GetBytes(field.Value))}' is not {expectation}");
            return field.Value;
        }
    }
}
