namespace TinyImage.Core.Debian;

/// <summary>A package as laid down in a <see cref="PackageRoot"/>: what a dpkg status entry of the image would record.</summary>
/// <param name="Package">The pinned package.</param>
/// <param name="Control">Its control stanza, from the .deb's control.tar.</param>
/// <param name="Files">The paths it shipped, as placed in the root (after merged /usr), absolute, in archive order.</param>
public sealed record InstalledPackage(LockedPackage Package, ControlStanza Control, IReadOnlyList<string> Files);
