namespace TinyImage.Core.Sbom;

/// <summary>A regular file of an image, as both SBOM formats list it.</summary>
/// <param name="Path">Its absolute path in the image.</param>
/// <param name="Sha256">Its SHA-256, lowercase hex.</param>
/// <param name="Sha1">Its SHA-1, lowercase hex (SPDX 2.3 asks for one on every file).</param>
/// <param name="Package">The Debian package it comes from, or null.</param>
/// <param name="Application">It comes from the recipe's own directory.</param>
/// <param name="DependsOn">The paths of the files of the image it loads (its ELF needs, resolved through the image's links), sorted.</param>
public sealed record SbomFile(string Path, string Sha256, string Sha1, SbomPackage? Package, bool Application, IReadOnlyList<string> DependsOn);
