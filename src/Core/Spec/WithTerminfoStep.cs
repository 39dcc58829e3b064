using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// Compiled terminfo entries from /etc/terminfo, /lib/terminfo and /usr/share/terminfo: the named
/// <see cref="Terms"/>, a common set when empty (xterm, xterm-256color, linux, vt100, dumb, screen...),
/// or every entry when it is <c>["*"]</c>.
/// </summary>
public sealed record WithTerminfoStep(ImmutableArray<string> Terms) : BuildStep;
