using System.Net.Http.Headers;
using System.Text;

namespace TinyImage.Core.Registry;

/// <summary>A registry's <c>WWW-Authenticate</c> challenge: its scheme (<c>Basic</c> or <c>Bearer</c>) and parameters (realm, service, scope).</summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Parameter(string name) => Parameters.TryGetValue(name, out var value) ? value : null;

    /// <summary>The first Bearer or Basic challenge of a response, or null.</summary>
    public static AuthChallenge? From(HttpResponseMessage response)
    {
        AuthChallenge? basic = null;
        foreach (var header in response.Headers.WwwAuthenticate)
        {
            var challenge = Parse(header);
            if (challenge.IsBearer) return challenge;
            if (challenge.IsBasic) basic ??= challenge;
        }
        return basic;
    }

    /// <summary>Reads <c>key=value</c> and <c>key="quoted \"value\""</c> pairs separated by commas; malformed pairs are skipped.</summary>
    public static AuthChallenge Parse(AuthenticationHeaderValue header)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = header.Parameter ?? "";
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            var keyStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',') i++;
            var key = text[keyStart..i].Trim();
            if (i >= text.Length || text[i] != '=') continue;
            i++;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i]);
                }
                i++;
            }
            else
            {
                while (i < text.Length && text[i] != ',') value.Append(text[i++]);
            }
            if (key.Length > 0) parameters[key] = value.ToString().Trim();
        }
        return new AuthChallenge(header.Scheme, parameters);
    }
}
