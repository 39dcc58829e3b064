using System.Runtime.CompilerServices;

namespace TinyImage.Tests.Integration;

/// <summary>
/// The cache directory of this test run (compiled recipes, compressed layers): a fresh directory under /tmp, never the
/// user's <c>~/.cache/tinyrun</c>, so a test neither reads a warm cache left by earlier runs nor fills the user's.
/// Set as <c>TINYRUN_CACHE</c> for the whole test process (in-process pipelines read it through
/// <c>ImagePipelineOptions.FromEnvironment</c>) and passed by <see cref="Run"/> to every program it starts.
/// </summary>
/// <remarks>
/// Removed when the test process exits; the test host may be stopped before that finishes, so each run also removes
/// the caches of earlier runs that are over: their <c>run.lock</c>, held (flock) for as long as the run lasts, is free.
/// </remarks>
public static class TestRunCache
{
    public const string Variable = "TINYRUN_CACHE";
    private const string Prefix = "tinyimage-test-cache-";
    private const string LockName = "run.lock";

    // Never read: holding it open keeps the lock for the life of the test process.
    private static readonly FileStream RunLock;

    static TestRunCache()
    {
        RemoveFinishedRuns();
        Directory = System.IO.Directory.CreateTempSubdirectory(Prefix).FullName;
        RunLock = new FileStream(Path.Combine(Directory, LockName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
    }

    public static string Directory { get; }

#pragma warning disable CA2255 // the test assembly is the program here: its environment must be set before any test runs
    [ModuleInitializer]
    internal static void UseForThisProcess()
#pragma warning restore CA2255
    {
        Environment.SetEnvironmentVariable(Variable, Directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            RunLock.Dispose();
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }

    /// <summary>Removes the caches of earlier test runs whose lock nobody holds; a run still going keeps its own.</summary>
    internal static void RemoveFinishedRuns()
    {
        foreach (var directory in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(Prefix + "*"))
        {
            try
            {
                // Opening with FileShare.None fails while another process holds the lock.
                using (new FileStream(Path.Combine(directory.FullName, LockName), FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                directory.Delete(recursive: true);
            }
            // No lock file yet (a run starting now) or locked (a run going on): not ours to remove.
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
