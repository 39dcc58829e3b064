using System.Text.Json;

namespace TinyImage.Core.Sinks;

/// <summary>
/// What a Docker engine said in an answer's body: an error document (<c>{"message": "..."}</c>, on a 4xx or 5xx), or
/// the stream of JSON messages an image load answers with (<c>{"stream": "Loaded image: ..."}</c>, and
/// <c>{"errorDetail": {"message": ...}, "error": ...}</c> when it refuses the image after answering 200).
/// </summary>
internal sealed record EngineAnswer(IReadOnlyList<string> Messages, string? Error)
{
    /// <summary>Reads <paramref name="body"/>: any number of JSON values; text that is not JSON is the error itself.</summary>
    public static EngineAnswer Parse(ReadOnlySpan<byte> body)
    {
        var messages = new List<string>();
        string? error = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 16 });
        try
        {
            while (reader.Read())
            {
                using var document = JsonDocument.ParseValue(ref reader);
                if (document.RootElement.ValueKind != JsonValueKind.Object) continue;
                var root = document.RootElement;
                if ((Text(root, "errorDetail", "message") ?? Text(root, "error") ?? Text(root, "message")) is { Length: > 0 } message) error ??= message;
                else if (Text(root, "stream") is { Length: > 0 } line) messages.Add(line.Trim());
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page, a plain-text error): say what it is, on one line.
            error ??= OneLine(System.Text.Encoding.UTF8.GetString(body));
        }
        return new EngineAnswer(messages, error is null ? null : OneLine(error));
    }

    private static string? Text(JsonElement element, params ReadOnlySpan<string> path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element)) return null;
        }
        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 500 ? line : line[..500] + "...";
    }
}
