namespace TinyImage.Core.Registry;

/// <summary>One request to a registry, made again for every retry: where, with which scopes and content, and what it is for (for messages).</summary>
internal sealed record RegistryCall(RegistryReference Repository, HttpMethod Method, Uri Uri, string Scopes, string What)
{
    /// <summary>Makes the body afresh (a retried upload reads its blob again).</summary>
    public Func<HttpContent>? Content { get; init; }

    public IReadOnlyList<string> Accept { get; init; } = [];

    /// <summary>Starts, carries or finishes a blob upload (counted).</summary>
    public bool Upload { get; init; }

    /// <summary>Reads a manifest: a 404 means the image is not there.</summary>
    public bool IsManifest { get; init; }
}
