namespace TinyImage.Core.Debian;

/// <summary>SHA-256 digests as Debian writes them: 64 lowercase hex digits.</summary>
internal static class Sha256Hex
{
    /// <summary>IsValid is true for exactly 64 characters of 0-9 and a-f.</summary>
    public static bool IsValid(string? text) =>
        text is { Length: 64 } && text.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>Of returns the lowercase hex of a hash.</summary>
    public static string Of(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);
}
