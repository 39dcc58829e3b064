using TinyImage.Tests.Corpus;

namespace TinyImage.Tests.Needs;

/// <summary>
/// A C program built with gcc once for the Needs tests, doing what the "C program" row does: getaddrinfo with a
/// service name, getpwnam, iconv_open("UTF-8", "ISO-8859-1"), dlopen("libz.so.1"), and popen of a shell command.
/// Run as <c>prog</c>, it prints one line per call and exits 0 only when all work.
/// </summary>
public sealed class NeedsProgram : IDisposable
{
    public const string Source = """
        #include <dlfcn.h>
        #include <iconv.h>
        #include <netdb.h>
        #include <pwd.h>
        #include <stdio.h>
        #include <string.h>
        int main(void) {
            int failed = 0;
            struct addrinfo hints, *res = 0;
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_INET; hints.ai_flags = AI_NUMERICHOST;
            int rc = getaddrinfo("127.0.0.1", "http", &hints, &res);
            printf("getaddrinfo: %s\n", rc == 0 ? "ok" : gai_strerror(rc)); failed |= rc != 0;
            struct passwd *pw = getpwnam("nobody");
            printf("getpwnam: %s\n", pw ? "ok" : "no nobody"); failed |= pw == 0;
            iconv_t cd = iconv_open("UTF-8", "ISO-8859-1");
            printf("iconv_open: %s\n", cd == (iconv_t)-1 ? "failed" : "ok"); failed |= cd == (iconv_t)-1;
            void *z = dlopen("libz.so.1", RTLD_NOW);
            printf("dlopen: %s\n", z ? "ok" : dlerror()); failed |= z == 0;
            FILE *p = popen("echo shell", "r");
            char line[64] = "";
            if (p) { if (!fgets(line, sizeof line, p)) line[0] = 0; pclose(p); }
            printf("popen: %s\n", strncmp(line, "shell", 5) == 0 ? "ok" : "failed"); failed |= strncmp(line, "shell", 5) != 0;
            return failed;
        }
        """;

    public NeedsProgram()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("tinyimage-needs-").FullName;
        var source = System.IO.Path.Combine(Directory, "prog.c");
        File.WriteAllText(source, Source);
        Path = System.IO.Path.Combine(Directory, "prog");
        var (rc, _, stderr) = LoaderOracle.Run("gcc", ["-O1", "-o", Path, source]);
        if (rc != 0) throw new InvalidOperationException($"gcc failed: {stderr}");
    }

    /// <summary>The temporary directory holding the program.</summary>
    public string Directory { get; }

    /// <summary>The built program (a host path).</summary>
    public string Path { get; }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
