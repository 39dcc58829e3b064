namespace TinyImage.Core.Debian;

/// <summary>Receives the fields of deb822 stanzas from <see cref="ControlFileReader"/>, in file order.</summary>
internal interface IControlFieldSink
{
    /// <summary>StartStanza is called before the first field of a stanza, with that field's line number.</summary>
    void StartStanza(int line);

    /// <summary>Field receives one field: its name as written, its value with surrounding whitespace removed (continuation lines joined by their newlines), and its line.</summary>
    void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int line);

    /// <summary>EndStanza is called after the last field of a stanza, with the stanza's first line.</summary>
    void EndStanza(int line);
}
