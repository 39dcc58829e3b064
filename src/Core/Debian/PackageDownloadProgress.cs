namespace TinyImage.Core.Debian;

/// <summary>How far the downloads of a package set are: for a progress line on a terminal, or plain lines otherwise.</summary>
/// <param name="BytesDone">Bytes downloaded so far.</param>
/// <param name="BytesTotal">Bytes to download in all (the sizes of the .deb files not yet in the cache).</param>
/// <param name="PackagesLeft">Packages not yet downloaded and unpacked.</param>
/// <param name="Package">The package whose download or unpack just progressed or finished, or null.</param>
public readonly record struct PackageDownloadProgress(long BytesDone, long BytesTotal, int PackagesLeft, string? Package);
