namespace TinyImage.Core.Registry;

/// <summary>What pushing one blob took.</summary>
public enum BlobPushResult
{
    /// <summary>The bytes were sent.</summary>
    Uploaded,

    /// <summary>The repository already held the blob; nothing was sent.</summary>
    Existed,

    /// <summary>The registry linked the blob from another of its repositories; nothing was sent.</summary>
    Mounted,
}
