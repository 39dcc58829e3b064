namespace TinyImage.Core.Registry;

/// <summary>The registry no longer knows an upload session (it restarted, or the session broke): the upload starts again in a new one.</summary>
internal sealed class UploadLostException(string message) : Exception(message);
