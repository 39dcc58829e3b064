using System.Formats.Tar;
using System.Net.Sockets;

namespace TinyImage.Core.Sinks;

/// <summary>
/// A load sent to the engine before its image is built, when the engine has no image of that name: the image will be
/// loaded whatever it turns out to be. (An image of that name may be this one, and a load opened for it would be
/// wasted, so such a load waits for the image, unless a guess says otherwise: see the end.) Docker unpacks a load in a
/// process of its own (dockerd re-executing itself: ~45 ms of a load on the development machine, bench/README.md),
/// started as soon as the first bytes of the archive arrive, and registers the layers only when the archive has ended.
/// So the archive's first entry, an empty directory the engine ignores, goes at once, and the image follows when it is
/// built (<see cref="FinishAsync"/>). A load whose image was not built (the build failed) ends as an archive of no
/// image, which loads nothing, rather than being cut off. When the engine has an image of that name, a load is opened
/// only on a guess that this build gives another one (<see cref="LoadHistory"/>), and ended the same way when it did not.
/// </summary>
internal sealed class OpenedLoad
{
    /// <summary>How long the end of a load of no image is waited for when its build failed; then the connection is closed.</summary>
    private static readonly TimeSpan AbandonWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a guess that the image changed may take (it examines the files the last build was made from, which may be
    /// on a slow or vanished file system); past that, nothing is guessed and the load waits for the image.
    /// </summary>
    private static readonly TimeSpan GuessTime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The archive's first entry: the tar header of an empty directory, sent when the load is opened; made when a load is
    /// first opened (a tar writer's first use costs milliseconds), not when one is set up.
    /// </summary>
    private static readonly Lazy<byte[]> Opening = new(OpeningEntry);

    private readonly TaskCompletionSource<(Func<Stream, CancellationToken, Task> Write, bool HasZstdLayers)> _rest =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TaskCompletionSource<bool> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancels the load <see cref="DockerDaemon.LoadTimeout"/> after its image was given: the build before that may take long.</summary>
    private readonly CancellationTokenSource _deadline;

    private readonly Task<IReadOnlyList<string>?> _sent;

    /// <summary>
    /// Opens a load of <paramref name="name"/> on <paramref name="daemon"/>, and sends its first entry, once
    /// <paramref name="engineImage"/> (the ID of the engine's image of that name) says there is none, or
    /// <paramref name="likelyChanged"/>, given that ID, guesses that the image being built is another.
    /// </summary>
    public OpenedLoad(DockerDaemon daemon, string name, Task<string?> engineImage, Func<string, bool>? likelyChanged, CancellationToken cancellationToken)
    {
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sent = SendAsync(daemon, name, engineImage, likelyChanged, _deadline.Token);
    }

    /// <summary>Whether the load was opened: false when the engine has an image of that name (and no guess says this one differs), or could not say.</summary>
    public Task<bool> IsOpenAsync() => _opened.Task;

    /// <summary>
    /// Sends the rest of the archive, which <paramref name="writeArchive"/> writes, and returns the engine's messages;
    /// <paramref name="cancellationToken"/> cancels the load, as the one it was opened with does.
    /// </summary>
    public async Task<IReadOnlyList<string>> FinishAsync(Func<Stream, CancellationToken, Task> writeArchive, bool hasZstdLayers, CancellationToken cancellationToken)
    {
        if (!await IsOpenAsync().ConfigureAwait(false)) throw new InvalidOperationException("the load was not opened");
        using (cancellationToken.Register(Cancel))
        {
            Give((writeArchive, hasZstdLayers));
            return (await _sent.ConfigureAwait(false))!;
        }
    }

    /// <summary>Ends the archive with no image in it; what the engine says to that does not matter.</summary>
    private async Task FinishEmptyAsync()
    {
        Give((WriteNoImageAsync, false));
        try
        {
            await _sent.ConfigureAwait(false);
        }
        catch (Exception e) when (e is TinyImageException or OperationCanceledException or IOException or SocketException)
        {
            // Nothing was to be loaded.
        }
    }

    /// <summary>
    /// <see cref="FinishEmptyAsync"/>, waited for a short while (then the connection is closed, so that a hung engine
    /// holds nothing of a build server's): for an image that was not built.
    /// </summary>
    public void Abandon()
    {
        try
        {
            if (!FinishEmptyAsync().Wait(AbandonWait)) Cancel();
        }
        catch (AggregateException)
        {
            // Nothing was to be loaded.
        }
    }

    /// <summary><see cref="Abandon"/>, awaited: for an image the engine turned out to have.</summary>
    public async Task AbandonAsync()
    {
        try
        {
            await FinishEmptyAsync().WaitAsync(AbandonWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Cancel();
        }
    }

    private void Cancel()
    {
        try
        {
            _deadline.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The load has ended.
        }
    }

    private void Give((Func<Stream, CancellationToken, Task> Write, bool HasZstdLayers) rest)
    {
        if (!_rest.TrySetResult(rest)) return;
        try
        {
            _deadline.CancelAfter(DockerDaemon.LoadTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The load has ended already (it failed).
        }
    }

    private async Task<IReadOnlyList<string>?> SendAsync(DockerDaemon daemon, string name, Task<string?> engineImage, Func<string, bool>? likelyChanged, CancellationToken cancellationToken)
    {
        var open = false;
        try
        {
            open = await engineImage.ConfigureAwait(false) is not { } id || likelyChanged is not null && await GuessAsync(likelyChanged, id).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Not opened: DockerDaemon.WriteAsync awaits the same answer, and says what failed.
        }
        _opened.SetResult(open);
        try
        {
            if (!open) return null;
            return await daemon.LoadAsync(WriteAsync, name, () => _rest.Task.IsCompletedSuccessfully && _rest.Task.Result.HasZstdLayers, cancellationToken, withDeadline: false)
                .ConfigureAwait(false);
        }
        finally
        {
            _deadline.Dispose();
        }
    }

    /// <summary><paramref name="likelyChanged"/> of <paramref name="engineImage"/>, or false when it takes longer than <see cref="GuessTime"/>.</summary>
    private static async Task<bool> GuessAsync(Func<string, bool> likelyChanged, string engineImage)
    {
        try
        {
            return await Task.Run(() => likelyChanged(engineImage)).WaitAsync(GuessTime).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task WriteAsync(Stream destination, CancellationToken cancellationToken)
    {
        await destination.WriteAsync(Opening.Value, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        var rest = await _rest.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await rest.Write(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rest of an archive of no image: a <c>manifest.json</c> that lists none (Docker loads nothing, and says so with <c>{}</c>).</summary>
    private static async Task WriteNoImageAsync(Stream destination, CancellationToken cancellationToken)
    {
        var tar = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            var entry = new GnuTarEntry(TarEntryType.RegularFile, "manifest.json")
            {
                Mode = (UnixFileMode)0x1A4, ModificationTime = DateTimeOffset.UnixEpoch, DataStream = new MemoryStream("[]"u8.ToArray()),
            };
            await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }
    }

    private static byte[] OpeningEntry()
    {
        var header = new MemoryStream();
        using (var tar = new TarWriter(header, TarEntryFormat.Gnu, leaveOpen: true))
            tar.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "tinyrun/") { Mode = (UnixFileMode)0x1ED, ModificationTime = DateTimeOffset.UnixEpoch });
        return header.GetBuffer()[..512]; // the header alone; the end of the archive comes with the rest
    }
}
