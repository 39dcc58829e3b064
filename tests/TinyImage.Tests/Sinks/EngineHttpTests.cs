using System.Text;
using TinyImage.Core.Sinks;

namespace TinyImage.Tests.Sinks;

/// <summary>The engine's HTTP/1.1 answers as EngineHttp reads them: by length, chunked, to the end, and bounded.</summary>
public sealed class EngineHttpTests
{
    private static Task<(int Status, byte[] Body)> Read(string answer) =>
        EngineHttp.ReadAnswerAsync(new MemoryStream(Encoding.ASCII.GetBytes(answer)), CancellationToken.None);

    [Fact]
    public async Task An_answer_with_a_content_length_is_read_to_that_length()
    {
        var (status, body) = await Read("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"b\"}\r\nrest");
        Assert.Equal(404, status);
        Assert.Equal("{\"a\":\"b\"}\r\n", Encoding.ASCII.GetString(body));
    }

    [Fact]
    public async Task A_chunked_answer_is_joined_and_one_without_length_is_read_to_the_end()
    {
        var (status, body) = await Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"str\r\n9;x=1\r\neam\":\"x\"}\r\n0\r\n\r\n");
        Assert.Equal(200, status);
        Assert.Equal("{\"stream\":\"x\"}", Encoding.ASCII.GetString(body));
        Assert.Equal("to the end", Encoding.ASCII.GetString((await Read("HTTP/1.0 200 OK\r\n\r\nto the end")).Body));
    }

    [Fact]
    public async Task Answers_that_are_not_http_cut_short_or_too_long_are_io_errors()
    {
        await Assert.ThrowsAsync<IOException>(() => Read("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
        await Assert.ThrowsAsync<IOException>(() => Read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"));
        await Assert.ThrowsAsync<IOException>(() => Read($"HTTP/1.1 200 OK\r\nContent-Length: {EngineHttp.MaxAnswerBytes + 1}\r\n\r\n"));
        await Assert.ThrowsAsync<IOException>(() => Read("HTTP/1.1 200 OK\r\nX: " + new string('x', 70 * 1024) + "\r\n\r\n"));
    }
}
