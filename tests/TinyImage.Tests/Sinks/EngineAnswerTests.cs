using System.Text;
using TinyImage.Core.Sinks;

namespace TinyImage.Tests.Sinks;

/// <summary>What the engine says after a load: messages, or a refusal on one line.</summary>
public sealed class EngineAnswerTests
{
    [Fact]
    public void A_load_stream_gives_its_messages_and_no_error()
    {
        var answer = EngineAnswer.Parse(Encoding.UTF8.GetBytes("{\"stream\":\"Loaded image: a:1\\n\"}\r\n{\"stream\":\"Loaded image: b:2\\n\"}\r\n"));
        Assert.Equal(["Loaded image: a:1", "Loaded image: b:2"], answer.Messages);
        Assert.Null(answer.Error);
    }

    [Fact]
    public void A_refusal_inside_a_200_stream_is_its_error_detail_on_one_line()
    {
        var answer = EngineAnswer.Parse(Encoding.UTF8.GetBytes(
            "{\"stream\":\"x\"}\n{\"errorDetail\":{\"message\":\"unexpected EOF\\nwhile reading\"},\"error\":\"unexpected EOF\"}\n"));
        Assert.Equal("unexpected EOF while reading", answer.Error);
    }

    [Fact]
    public void An_error_document_and_a_plain_text_answer_are_errors()
    {
        Assert.Equal("no space left on device", EngineAnswer.Parse("{\"message\":\"no space left on device\"}"u8).Error);
        Assert.Equal("502 Bad Gateway from a proxy", EngineAnswer.Parse("502 Bad Gateway\nfrom a proxy\n"u8).Error);
    }
}
