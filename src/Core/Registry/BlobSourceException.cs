namespace TinyImage.Core.Registry;

/// <summary>The blob being uploaded could not be read or is shorter than its descriptor: our side's fault, never retried as a dropped connection.</summary>
internal sealed class BlobSourceException(string message, Exception? inner = null) : Exception(message, inner);
