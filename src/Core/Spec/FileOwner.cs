using System.Globalization;

namespace TinyImage.Core.Spec;

/// <summary>
/// Who owns a file a step adds, as the recipe wrote it: a user and optionally a group, each a name or a number
/// (<c>www</c>, <c>www:www</c>, <c>1000:1000</c>). Names are looked up in the image's /etc/passwd and /etc/group when
/// the image is assembled; a user without a group gets the user's own group (a number alone: the same number as gid).
/// </summary>
public sealed record FileOwner(string User, string? Group)
{
    /// <summary>The owner <paramref name="text"/> names.</summary>
    /// <exception cref="TinyImageException">It is not <c>USER</c> or <c>USER:GROUP</c> with names or numbers; the message says why.</exception>
    public static FileOwner Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0))
            throw new TinyImageException($"owner \"{text}\" is not USER or USER:GROUP; write e.g. \"www\", \"www:www\" or \"1000:1000\"");
        foreach (var part in parts)
            if (!IsNumber(part) && !Build.AccountFiles.IsValidName(part))
                throw new TinyImageException(part.All(char.IsAsciiDigit)
                    ? $"owner \"{text}\": {part} is not a uid or gid (0 to {int.MaxValue - 1})"
                    : $"owner \"{text}\": {part} is not a user or group name (1-32 characters of a-z, 0-9, _ and -, starting with a letter or _) nor a number");
        return new FileOwner(parts[0], parts.Length == 2 ? parts[1] : null);
    }

    /// <summary>Whether <paramref name="part"/> is a uid or gid: decimal digits, 0 to 2^31-2 (2^31-1 is (uid_t)-1 on some systems).</summary>
    public static bool IsNumber(string part) =>
        part.Length > 0 && part.All(char.IsAsciiDigit) && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < int.MaxValue;

    /// <summary>As the recipe writes it: <c>www:www</c>.</summary>
    public override string ToString() => Group is null ? User : $"{User}:{Group}";
}
