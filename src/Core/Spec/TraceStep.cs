using System.Collections.Immutable;

namespace TinyImage.Core.Spec;

/// <summary>
/// Runs <see cref="Program"/> (a host path) once on the host under strace with <see cref="Arguments"/>
/// and adds the files it opened and ran under /usr, /etc, /lib*, /bin, /sbin and /opt, ELF files with
/// their library closure. The only step that runs a program.
/// </summary>
public sealed record TraceStep(string Program, ImmutableArray<string> Arguments) : BuildStep;
