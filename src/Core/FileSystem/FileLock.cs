namespace TinyImage.Core.FileSystem;

/// <summary>
/// An advisory lock held through an open file: <c>flock(2)</c>, which .NET takes when a file is opened with
/// <see cref="FileShare.None"/> (exclusive) or any other sharing (shared), and which the kernel releases when the process
/// ends, however it ends. A lock a build holds therefore never outlives it, even after <c>kill -9</c>.
/// </summary>
/// <remarks>Setting <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> turns these locks off in every .NET program.</remarks>
internal sealed class FileLock : IDisposable
{
    /// <summary>EWOULDBLOCK: .NET's <see cref="IOException.HResult"/> when another open file holds a conflicting lock.</summary>
    private const int WouldBlock = 11;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _file;

    private FileLock(FileStream file) => _file = file;

    /// <summary>
    /// Locks <paramref name="path"/> (created, 0600, when <paramref name="create"/> and missing) at once, or returns null
    /// when someone else holds a conflicting lock, or when the file does not exist and is not to be created.
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened for another reason.</exception>
    public static FileLock? TryAcquire(string path, bool exclusive, bool create = true)
    {
        try
        {
            var options = new FileStreamOptions
            {
                Mode = create ? FileMode.OpenOrCreate : FileMode.Open,
                Access = FileAccess.ReadWrite,
                Share = exclusive ? FileShare.None : FileShare.ReadWrite | FileShare.Delete,
            };
            if (create) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            return new FileLock(new FileStream(path, options));
        }
        catch (FileNotFoundException) when (!create)
        {
            return null;
        }
        catch (IOException e) when (e.HResult == WouldBlock)
        {
            return null;
        }
    }

    /// <summary>Locks <paramref name="path"/>, waiting as long as someone else holds a conflicting lock; <paramref name="waiting"/> is called once if it has to wait.</summary>
    public static async Task<FileLock> AcquireAsync(string path, bool exclusive, Action? waiting, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAcquire(path, exclusive) is { } acquired) return acquired;
            waiting?.Invoke();
            waiting = null;
            await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _file.Dispose();
}
