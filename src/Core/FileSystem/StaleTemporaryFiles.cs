using System.IO.Enumeration;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// Removes what a killed build left behind (<c>kill -9</c> runs no cleanup): temporary files and directories whose
/// names a build uses, older than <see cref="MinimumAge"/> and not locked. A build holds each temporary file open with
/// an exclusive lock (<see cref="FileShare.None"/>) while it writes it, and each temporary directory's
/// <see cref="DirectoryLockName"/> file, so a concurrent build's are never removed; the age also covers the instant
/// between creating a file and locking it. Best effort: what cannot be removed is left.
/// </summary>
internal static class StaleTemporaryFiles
{
    /// <summary>
    /// How old an unlocked temporary file must be before it is taken for a killed build's. A live build holds a lock on
    /// each of its temporary files, except for the instant between creating one and locking it (and between closing and
    /// renaming it), which this covers many times over.
    /// </summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How old an unlocked temporary file must be for a build that has run at least this long to take it for a killed
    /// build's, when the file is older than the build (made before it started): the instant between a live build
    /// creating a file and locking it is covered many times over.
    /// </summary>
    public static readonly TimeSpan CreationInstant = TimeSpan.FromMilliseconds(100);

    /// <summary>Every entry of a directory, hidden (dot) names included: temporary names start with a dot.</summary>
    private static readonly EnumerationOptions AllEntries = new() { AttributesToSkip = 0 };

    /// <summary>The file in a temporary directory that its build holds locked while it uses the directory.</summary>
    public const string DirectoryLockName = ".lock";

    /// <summary>
    /// Removes the stale files in <paramref name="directory"/> (not below) whose names start with
    /// <paramref name="prefix"/> and end with <paramref name="suffix"/>; returns how many bytes were freed.
    /// </summary>
    public static long SweepFiles(string directory, string prefix, string suffix, TimeSpan minimumAge)
    {
        long freed = 0;
        foreach (var file in Candidates(directory, prefix, suffix, minimumAge, directories: false))
        {
            try
            {
                using var held = FileLock.TryAcquire(file.FullName, exclusive: true, create: false);
                if (held is null) continue;
                File.Delete(file.FullName);
                freed += ((FileInfo)file).Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return freed;
    }

    /// <summary>Removes the stale directories in <paramref name="directory"/> whose names start with <paramref name="prefix"/>; returns how many bytes were freed.</summary>
    public static long SweepDirectories(string directory, string prefix, TimeSpan minimumAge)
    {
        long freed = 0;
        foreach (var stale in Candidates(directory, prefix, "", minimumAge, directories: true))
        {
            try
            {
                using var held = FileLock.TryAcquire(Path.Combine(stale.FullName, DirectoryLockName), exclusive: true, create: false);
                if (held is null && File.Exists(Path.Combine(stale.FullName, DirectoryLockName))) continue;
                var size = new DirectoryInfo(stale.FullName).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
                Directory.Delete(stale.FullName, recursive: true);
                freed += size;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return freed;
    }

    private static IEnumerable<FileSystemInfo> Candidates(string directory, string prefix, string suffix, TimeSpan minimumAge, bool directories)
    {
        var cutoff = DateTime.UtcNow - minimumAge;
        try
        {
            if (!Directory.Exists(directory)) return [];
            // Names first, from the directory listing alone: the output's directory may hold thousands of other files
            // (/tmp), and only the few with a build's temporary names are looked at (lstat) further.
            var named = new FileSystemEnumerable<FileSystemInfo>(directory, (ref FileSystemEntry entry) => entry.ToFileSystemInfo(), AllEntries)
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => entry.FileName.StartsWith(prefix, StringComparison.Ordinal) &&
                    entry.FileName.EndsWith(suffix, StringComparison.Ordinal) && entry.IsDirectory == directories,
            };
            return named.Where(e => e.LinkTarget is null && e.LastWriteTimeUtc < cutoff).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
