using System.Net.Http;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace TinyImage.Core.Sinks;

/// <summary>
/// Containers of a Docker engine, through Docker.DotNet (<c>tinyrun test</c>): a separate type so that loading an image,
/// which is plain HTTP, never loads Docker.DotNet and its Newtonsoft.Json.
/// </summary>
internal sealed class EngineContainers : IDisposable
{
    private readonly DockerClient _client;
    private readonly DockerDaemon _daemon;

    public EngineContainers(Uri endpoint, DockerDaemon daemon)
    {
        _client = new DockerClientConfiguration(endpoint, defaultTimeout: TimeSpan.FromMinutes(10)).CreateClient();
        _daemon = daemon;
    }

    /// <summary>
    /// Runs <paramref name="command"/> (the whole argv; empty runs the image's own entrypoint and
    /// command) in a new container of <paramref name="image"/> with no network, waits for it, and
    /// removes it. Both outputs are copied, as they are read, to <paramref name="stdout"/> and <paramref name="stderr"/>.
    /// Returns the exit code, and why the container did not run (-1) when it did not.
    /// </summary>
    public async Task<(long ExitCode, string? Failure)> RunAsync(
        string image, IReadOnlyList<string> command, TimeSpan timeout, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        var parameters = new CreateContainerParameters
        {
            Image = image,
            HostConfig = new HostConfig { NetworkMode = "none" },
            Entrypoint = command.Count > 0 ? [command[0]] : null,
            Cmd = command.Count > 0 ? command.Skip(1).ToList() : null,
        };
        string? id = null;
        try
        {
            id = (await _client.Containers.CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false)).ID;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), deadline.Token).ConfigureAwait(false);
            var exit = await _client.Containers.WaitContainerAsync(id, deadline.Token).ConfigureAwait(false);
            using var logs = await _client.Containers.GetContainerLogsAsync(id, tty: false,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, deadline.Token).ConfigureAwait(false);
            await logs.CopyOutputToAsync(Stream.Null, stdout, stderr, deadline.Token).ConfigureAwait(false);
            return (exit.StatusCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (-1, $"(timed out after {timeout.TotalSeconds:0} s)");
        }
        catch (DockerApiException e)
        {
            // An exec failure (no such program in the image) is reported when the container starts.
            return (-1, e.ResponseBody.Trim());
        }
        catch (Exception e) when (DockerDaemon.IsUnreachable(e))
        {
            throw _daemon.Unreachable(e);
        }
        finally
        {
            if (id is not null) await RemoveQuietlyAsync(id).ConfigureAwait(false);
        }
    }

    /// <summary>Whether <paramref name="path"/> exists in <paramref name="image"/>, found without running anything in it.</summary>
    public async Task<bool> PathExistsAsync(string image, string path, CancellationToken cancellationToken)
    {
        string? id = null;
        try
        {
            id = (await _client.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Image = image, Entrypoint = ["/nonexistent-entrypoint"], HostConfig = new HostConfig { NetworkMode = "none" },
            }, cancellationToken).ConfigureAwait(false)).ID;
            await _client.Containers.GetArchiveFromContainerAsync(id, new GetArchiveFromContainerParameters { Path = path }, statOnly: true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && id is not null)
        {
            return false;
        }
        catch (Exception e) when (DockerDaemon.IsUnreachable(e))
        {
            throw _daemon.Unreachable(e);
        }
        finally
        {
            if (id is not null) await RemoveQuietlyAsync(id).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a container; a failure here must not hide the error that ended its run.</summary>
    private async Task RemoveQuietlyAsync(string id)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"tinyrun: warning: could not remove container {id}: {e.Message}");
        }
    }

    public void Dispose() => _client.Dispose();
}
