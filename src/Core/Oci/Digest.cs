using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace TinyImage.Core.Oci;

/// <summary>
/// A content digest, <c>sha256:&lt;64 lowercase hex&gt;</c>: the identity of a blob, a config or a manifest.
/// </summary>
/// <remarks>
/// Only sha256 is supported; it is the only algorithm TinyImage writes and every registry accepts it.
/// See https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md#digests.
/// </remarks>
public readonly record struct Digest
{
    /// <summary>The prefix of every digest TinyImage writes.</summary>
    public const string Sha256Prefix = "sha256:";

    private const int HexLength = 64;

    private readonly string? _hex;

    /// <summary>Creates a digest from 64 lowercase hex characters.</summary>
    /// <exception cref="FormatException"><paramref name="hex"/> is not 64 lowercase hex characters.</exception>
    public Digest(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (!IsLowercaseHex(hex))
            throw new FormatException($"'{hex}' is not a sha256 digest: expected {HexLength} lowercase hex characters");
        _hex = hex;
    }

    /// <summary>The algorithm, always <c>sha256</c>.</summary>
    public string Algorithm => "sha256";

    /// <summary>The 64 lowercase hex characters after <c>sha256:</c>.</summary>
    public string Hex => _hex ?? throw new InvalidOperationException("this Digest is the default value and has no hash");

    /// <summary>Parses <c>sha256:&lt;64 lowercase hex&gt;</c>.</summary>
    /// <exception cref="FormatException"><paramref name="value"/> is not such a digest.</exception>
    public static Digest Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var digest)
            ? digest
            : throw new FormatException($"'{value}' is not a digest: expected '{Sha256Prefix}' followed by {HexLength} lowercase hex characters");
    }

    /// <summary>Parses <c>sha256:&lt;64 lowercase hex&gt;</c>, returning false for anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest)
    {
        digest = default;
        if (value is null || !value.StartsWith(Sha256Prefix, StringComparison.Ordinal)) return false;
        var hex = value[Sha256Prefix.Length..];
        if (!IsLowercaseHex(hex)) return false;
        digest = new Digest(hex);
        return true;
    }

    /// <summary>Wraps a finished 32-byte SHA-256 hash.</summary>
    public static Digest FromHash(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != SHA256.HashSizeInBytes)
            throw new ArgumentException($"a sha256 hash is {SHA256.HashSizeInBytes} bytes, not {sha256.Length}", nameof(sha256));
        return new Digest(Convert.ToHexStringLower(sha256));
    }

    /// <summary>The digest of <paramref name="data"/>.</summary>
    public static Digest Compute(ReadOnlySpan<byte> data) => FromHash(SHA256.HashData(data));

    /// <summary><c>sha256:&lt;hex&gt;</c>; empty for the default value.</summary>
    public override string ToString() => _hex is null ? "" : Sha256Prefix + _hex;

    private static bool IsLowercaseHex(string hex) =>
        hex.Length == HexLength && hex.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}
