using System.Text.Json;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Registry;

/// <summary>Reads the small JSON answers of registries and token endpoints defensively: anything unexpected is null, never an exception.</summary>
internal static class RegistryAnswers
{
    /// <summary>The most read of a token answer.</summary>
    public const int MaxTokenAnswer = 1 << 20;

    /// <summary>The most read of an error body.</summary>
    public const int MaxErrorBody = 64 << 10;

    /// <summary>The token of a token endpoint's answer (<c>token</c>, else <c>access_token</c>) and its lifetime, or null.</summary>
    public static (string Token, TimeSpan ExpiresIn)? Token(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var token = String(root, "token") ?? String(root, "access_token");
            if (string.IsNullOrEmpty(token) || token.Any(c => c < 0x21 || c > 0x7e)) return null;
            var expiresIn = TimeSpan.FromSeconds(60); // the token spec's default
            if (root.TryGetProperty("expires_in", out var seconds) && seconds.ValueKind == JsonValueKind.Number
                && seconds.TryGetInt32(out var s) && s > 0)
                expiresIn = TimeSpan.FromSeconds(Math.Min(s, 24 * 3600));
            return (token, expiresIn);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The first error of a registry error body (<c>{"errors":[{"code","message"}]}</c>) as <c>CODE: message</c>, printable and short; or null.</summary>
    public static string? Error(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("errors", out var errors)
                || errors.ValueKind != JsonValueKind.Array || errors.GetArrayLength() == 0) return null;
            var first = errors[0];
            if (first.ValueKind != JsonValueKind.Object) return null;
            var code = String(first, "code");
            var message = String(first, "message");
            var text = (code, message) switch
            {
                (null, null) => null,
                (null, _) => message,
                (_, null) => code,
                _ => $"{code}: {message}",
            };
            return text is null ? null : Shorten(ArchiveText.Printable(text));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>At most 200 characters of <paramref name="text"/>.</summary>
    public static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
