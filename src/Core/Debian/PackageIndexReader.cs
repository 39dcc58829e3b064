using System.Globalization;
using System.Text;

namespace TinyImage.Core.Debian;

/// <summary>
/// Turns the stanzas of a Packages index into <see cref="PackageRecord"/>s of one architecture (and <c>all</c>),
/// keeping only the fields resolution and download use; other architectures' stanzas are skipped.
/// </summary>
internal sealed class PackageIndexReader(PackageIndex index, string sourceName) : IControlFieldSink
{
    private static readonly string[] Priorities = ["required", "important", "standard", "optional", "extra"];
    private static readonly string[] MultiArchValues = ["same", "foreign", "allowed", "no"];

    private readonly byte[] _architecture = Encoding.ASCII.GetBytes(index.Architecture);
    private string? _name, _version, _architectureValue, _multiArch, _priority, _preDepends, _depends, _recommends, _provides, _filename, _sha256;
    private long _size = -1;
    private bool _sizeSeen;

    public void StartStanza(int line)
    {
        _name = _version = _architectureValue = _multiArch = _priority = _preDepends = _depends = _recommends = _provides = _filename = _sha256 = null;
        _size = -1;
        _sizeSeen = false;
    }

    public void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int line)
    {
        switch (name.Length)
        {
            case 4 when Is(name, "Size"u8):
                _sizeSeen = true;
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _size)) _size = -1;
                break;
            case 6 when Is(name, "SHA256"u8): _sha256 = Text(value); break;
            case 7 when Is(name, "Package"u8): _name = Text(value); break;
            case 7 when Is(name, "Version"u8): _version = Text(value); break;
            case 7 when Is(name, "Depends"u8): _depends = Text(value); break;
            case 8 when Is(name, "Priority"u8): _priority = Known(value, Priorities); break;
            case 8 when Is(name, "Filename"u8): _filename = Text(value); break;
            case 8 when Is(name, "Provides"u8): _provides = Text(value); break;
            case 10 when Is(name, "Multi-Arch"u8): _multiArch = Known(value, MultiArchValues); break;
            case 10 when Is(name, "Recommends"u8): _recommends = Text(value); break;
            case 11 when Is(name, "Pre-Depends"u8): _preDepends = Text(value); break;
            case 12 when Is(name, "Architecture"u8):
                _architectureValue = value.SequenceEqual(_architecture) ? index.Architecture : value.SequenceEqual("all"u8) ? "all" : Text(value);
                break;
        }
    }

    public void EndStanza(int line)
    {
        if (_name is null) throw Error(line, "a stanza without Package");
        if (_architectureValue is null) throw Error(line, $"package {_name} has no Architecture");
        if (!ReferenceEquals(_architectureValue, index.Architecture) && _architectureValue != "all") return;
        if (!DebianVersion.TryParse(_version, out var version)) throw Error(line, $"package {_name} has no valid Version");
        if (_filename is null || !PoolPath.IsSafe(_filename)) throw Error(line, $"package {_name} has no valid Filename");
        if (!_sizeSeen || _size < 0) throw Error(line, $"package {_name} has no valid Size");
        if (_sha256 is null || !Sha256Hex.IsValid(_sha256)) throw Error(line, $"package {_name} has no valid SHA256");
        index.Add(new PackageRecord
        {
            Name = _name,
            VersionText = _version!,
            Version = version,
            Architecture = _architectureValue,
            MultiArch = _multiArch,
            Priority = _priority,
            PreDepends = _preDepends,
            Depends = _depends,
            Recommends = _recommends,
            Provides = _provides,
            Filename = _filename,
            Size = _size,
            Sha256 = _sha256,
            Line = line,
        });
    }

    private TinyImageException Error(int line, string what) => new($"{sourceName}({line}): {what}");

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected) => Ascii.EqualsIgnoreCase(name, expected);

    private static string Text(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);

    /// <summary>One of a few common values without allocating, else the text.</summary>
    private static string Known(ReadOnlySpan<byte> value, string[] known)
    {
        foreach (var k in known)
            if (Ascii.Equals(value, k)) return k;
        return Text(value);
    }
}
