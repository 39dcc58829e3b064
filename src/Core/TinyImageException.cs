namespace TinyImage.Core;

/// <summary>
/// An error the user can cause and fix: a missing file, a non-ELF input, a library that cannot be
/// found, a bad recipe, a daemon that is down. The CLI prints <see cref="Exception.Message"/> on one
/// line, without a stack trace, and exits 1. Anything else is a bug.
/// </summary>
public sealed class TinyImageException : Exception
{
    public TinyImageException(string message) : base(message) { }

    public TinyImageException(string message, Exception inner) : base(message, inner) { }
}
