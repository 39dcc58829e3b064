namespace TinyImage.Core.Registry;

/// <summary>
/// How often and how long to wait before retrying a request that got a 429, a 5xx or a dropped connection: the
/// delay doubles from <see cref="InitialDelay"/> up to <see cref="MaxDelay"/>; a <c>Retry-After</c> is honoured up
/// to <see cref="MaxRetryAfter"/>.
/// </summary>
public sealed record RegistryRetryPolicy
{
    /// <summary>Tries per request (and per upload without progress), the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>The longest <c>Retry-After</c> waited for; a registry asking for more gets this.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait before try <paramref name="attempt"/> + 1 (attempt counts from 1).</summary>
    public TimeSpan Delay(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked) return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > MaxRetryAfter ? MaxRetryAfter : asked;
        var delay = InitialDelay * Math.Pow(2, Math.Min(attempt - 1, 20));
        return delay > MaxDelay ? MaxDelay : delay;
    }
}
