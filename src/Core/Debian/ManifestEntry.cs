namespace TinyImage.Core.Debian;

/// <summary>One member of an unpacked package's data, as its manifest records it.</summary>
/// <param name="Kind"><c>d</c> a directory, <c>f</c> a regular file, <c>l</c> a symbolic link.</param>
/// <param name="Mode">Permission bits (with setuid, setgid and sticky).</param>
/// <param name="Path">The path relative to the package's root, without "./" (<c>usr/bin/hello</c>).</param>
/// <param name="Target">A link's target as written in the package; empty otherwise.</param>
internal readonly record struct ManifestEntry(char Kind, UnixFileMode Mode, string Path, string Target);
