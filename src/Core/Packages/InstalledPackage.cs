namespace TinyImage.Core.Packages;

/// <summary>A Debian package installed in a root, as its dpkg database records it.</summary>
/// <param name="Control">Its fields as <c>dpkg-deb --field</c> gives them (the status stanza without Status and Conffiles): what <c>status.d/NAME</c> holds.</param>
public sealed record InstalledPackage(string Name, string Version, string Architecture, string? Source, string Control);
