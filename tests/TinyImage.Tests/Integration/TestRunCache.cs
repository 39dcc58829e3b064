using System.Runtime.CompilerServices;

namespace TinyImage.Tests.Integration;

/// <summary>
/// The cache directory of this test run (compiled recipes, compressed layers): a fresh directory under /tmp, never the
/// user's <c>~/.cache/tinyrun</c>, so a test neither reads a warm cache left by earlier runs nor fills the user's.
/// Set as <c>TINYRUN_CACHE</c> for the whole test process (in-process pipelines read it through
/// <c>ImagePipelineOptions.FromEnvironment</c>) and passed by <see cref="Run"/> to every program it starts; removed when
/// the test process exits.
/// </summary>
public static class TestRunCache
{
    public const string Variable = "TINYRUN_CACHE";

    public static string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("tinyimage-test-cache-").FullName;

#pragma warning disable CA2255 // the test assembly is the program here: its environment must be set before any test runs
    [ModuleInitializer]
    internal static void UseForThisProcess()
#pragma warning restore CA2255
    {
        Environment.SetEnvironmentVariable(Variable, Directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }
}
