using System.Text;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Runtime;

/// <summary>
/// Builds every image the container tests run with one tinyrun invocation (one recipe, one image per
/// line), loads them into the Docker engine under a unique name, and removes them afterwards.
/// </summary>
public sealed class RuntimeImages : IDisposable
{
    /// <summary>Common Debian programs (package, path, arguments, text the output must contain), each in an image of its own.</summary>
    public static readonly (string Package, string Program, string[] Args, string Expect)[] Programs =
    [
        ("curl", "/usr/bin/curl", ["--version"], "curl 7."),
        ("git", "/usr/bin/git", ["--version"], "git version"),
        ("perl-base", "/usr/bin/perl", ["--version"], "This is perl 5"),
        ("gzip", "/usr/bin/gzip", ["--version"], "gzip 1."),
        ("tar", "/usr/bin/tar", ["--version"], "GNU tar"),
        ("sed", "/usr/bin/sed", ["--version"], "GNU sed"),
        ("grep", "/usr/bin/grep", ["--version"], "GNU grep"),
        ("jq", "/usr/bin/jq", ["--version"], "jq-1."),
        ("openssl", "/usr/bin/openssl", ["version"], "OpenSSL 3."),
        ("sqlite3", "/usr/bin/sqlite3", ["--version"], "3."),
        ("wget", "/usr/bin/wget", ["--version"], "GNU Wget"),
        ("zstd", "/usr/bin/zstd", ["--version"], "Zstandard"),
        ("xz-utils", "/usr/bin/xz", ["--version"], "XZ Utils"),
        ("python3-minimal", "/usr/bin/python3", ["--version"], "Python 3."),
    ];

    private readonly TempDirectory _dir = new();
    private readonly List<string> _tags = [];

    public RuntimeImages()
    {
        Run.Docker("version"); // fails every test with how to start an engine when none answers
        Prefix = "tinyimage-rt-" + Guid.NewGuid().ToString("N")[..10];
        File.WriteAllText(_dir.Combine("cancel.c"), """
            #include <pthread.h>
            #include <stdio.h>
            #include <unistd.h>
            static void *run(void *arg) { (void)arg; for (;;) pause(); return NULL; }
            int main(void) {
              pthread_t t;
              if (pthread_create(&t, NULL, run, NULL) != 0) return 2;
              pthread_cancel(t);
              pthread_join(t, NULL);
              puts("cancelled");
              return 0;
            }
            """);
        Gcc = Run.Process("gcc", ["-O2", "-pthread", "-o", _dir.Combine("cancel"), _dir.Combine("cancel.c")]);
        File.WriteAllText(_dir.Combine("euro-utf8.txt"), "€uro\n");
        File.WriteAllBytes(_dir.Combine("euro-latin9.txt"), [0xA4, (byte)'u', (byte)'r', (byte)'o', (byte)'\n']);

        var recipe = new StringBuilder();
        foreach (var (_, program, _, _) in Programs)
            recipe.AppendLine($"From.Scratch().AddBinary(\"{program}\").WithLibs().Tag(\"{Add(Path.GetFileName(program))}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"/usr/bin/iconv\").WithLibs().WithGconv(\"ISO-8859-15\").AddFile(\"euro-utf8.txt\", \"/euro-utf8.txt\").AddFile(\"euro-latin9.txt\", \"/euro-latin9.txt\").Tag(\"{Add("iconv")}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"/usr/bin/iconv\").WithLibs().AddFile(\"euro-utf8.txt\", \"/euro-utf8.txt\").Tag(\"{Add("iconv-without-gconv")}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"/usr/bin/getent\").WithLibs().WithNss().WithUser(\"app\", 1000).Tag(\"{Add("getent")}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"cancel\", \"/cancel\").WithLibs().WithLibgcc().Entrypoint(\"/cancel\").Tag(\"{Add("cancel")}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"cancel\", \"/cancel\").WithLibs().Entrypoint(\"/cancel\").Tag(\"{Add("cancel-without-libgcc")}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"/usr/bin/curl\").WithLibs().WithCaCertificates().WithNss().WithTmp().Tag(\"{Add("curl-tls")}\");");
        recipe.AppendLine($"From.Scratch().AddBinary(\"/usr/bin/python3\").Trace([\"-c\", \"import json, zlib; print(json.dumps([1]))\"]).Tag(\"{Add("python-traced")}\");");
        File.WriteAllText(_dir.Combine("runtime.tiny.csx"), recipe.ToString());
        if (Gcc.ExitCode == 0)
            Build = Run.Tinyrun(_dir.Path, "runtime.tiny.csx", "--load", "--output", _dir.Combine("out") + "/");
    }

    /// <summary>The prefix of every image name, unique to this run.</summary>
    public string Prefix { get; }

    public ProcessResult Gcc { get; }

    /// <summary>The tinyrun run that built and loaded the images; null when gcc failed.</summary>
    public ProcessResult? Build { get; }

    /// <summary>The directory of the recipe and the archives.</summary>
    public string Directory => _dir.Path;

    /// <summary>The image name of <paramref name="name"/>, after checking that the build worked.</summary>
    public string Image(string name)
    {
        Assert.True(Gcc.ExitCode == 0, $"gcc failed (apt-get install gcc libc6-dev): {Gcc}");
        Assert.True(Build is { ExitCode: 0 }, $"tinyrun failed to build the runtime images: {Build}");
        return $"{Prefix}-{name}:latest";
    }

    /// <summary>Runs <paramref name="image"/> with no network and the given extra docker options and command (the engine was checked once, at the start).</summary>
    public ProcessResult RunImage(string image, string[] options, params string[] command) =>
        Run.Process("docker", ["run", "--rm", "--network", "none", .. options, Image(image), .. command]);

    public void Dispose()
    {
        if (Build is not null)
            Run.Process("docker", ["rmi", "-f", .. _tags.Select(t => t + ":latest")]);
        _dir.Dispose();
    }

    private string Add(string name)
    {
        var tag = $"{Prefix}-{name}";
        _tags.Add(tag);
        return tag;
    }
}
