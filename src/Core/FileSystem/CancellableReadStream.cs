namespace TinyImage.Core.FileSystem;

/// <summary>A stream read by a blocking copy (a tar writer's) that stops with <see cref="OperationCanceledException"/> at cancellation: a large file's copy ends at once.</summary>
internal sealed class CancellableReadStream(Stream inner, CancellationToken cancellationToken) : ReadingStream(inner)
{
    public override int Read(Span<byte> buffer)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return base.Read(buffer);
    }
}
