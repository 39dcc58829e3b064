namespace TinyImage.Core.Debian;

/// <summary>
/// A mirror that cannot be reached or answers with an error: where the cache can stand in (an index already
/// downloaded), it does; elsewhere it becomes a <see cref="TinyImageException"/> with the same one-line message.
/// </summary>
internal sealed class MirrorUnreachableException : Exception
{
    public MirrorUnreachableException(string message) : base(message) { }

    public MirrorUnreachableException(string message, Exception inner) : base(message, inner) { }
}
