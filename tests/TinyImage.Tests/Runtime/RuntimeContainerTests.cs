using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Runtime;

/// <summary>
/// Scratch images built from one-line recipes run in the real Docker engine, always with
/// <c>--network none</c>: common Debian programs, and the files no DT_NEEDED names (gconv, NSS and
/// accounts, libgcc_s for pthread_cancel, CA certificates, a traced Python).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class RuntimeContainerTests(RuntimeImages images) : IClassFixture<RuntimeImages>
{
    [Fact]
    public void Common_debian_programs_print_their_version_in_scratch_images()
    {
        Assert.True(RuntimeImages.Programs.Length >= 10);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(RuntimeImages.Programs, new ParallelOptions { MaxDegreeOfParallelism = 4 }, p =>
        {
            var result = images.RunImage(Path.GetFileName(p.Program), [], [p.Program, .. p.Args]);
            if (result.ExitCode != 0 || !(result.Stdout + result.Stderr).Contains(p.Expect, StringComparison.Ordinal))
                failures.Add($"{p.Program} (package {p.Package}): {result}");
        });
        Assert.True(failures.IsEmpty, string.Join("\n\n", failures.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Iconv_converts_to_and_from_ISO_8859_15_with_WithGconv_and_fails_without_it()
    {
        var fromLatin9 = images.RunImage("iconv", [], "/usr/bin/iconv", "-f", "ISO-8859-15", "-t", "UTF-8", "/euro-latin9.txt");
        Assert.True(fromLatin9.ExitCode == 0, fromLatin9.ToString());
        Assert.Equal("€uro\n", fromLatin9.Stdout);

        var toLatin9 = images.RunImage("iconv", [], "/usr/bin/iconv", "-f", "UTF-8", "-t", "ISO-8859-15", "/euro-utf8.txt");
        Assert.True(toLatin9.ExitCode == 0, toLatin9.ToString());
        Assert.Equal("\uFFFDuro\n", toLatin9.Stdout); // 0xA4, the euro sign in ISO-8859-15, is not UTF-8

        var without = images.RunImage("iconv-without-gconv", [], "/usr/bin/iconv", "-f", "UTF-8", "-t", "ISO-8859-15", "/euro-utf8.txt");
        Assert.NotEqual(0, without.ExitCode);
        Assert.Contains("conversion", without.Stderr);
    }

    [Fact]
    public void Getent_reads_the_accounts_of_WithUser_through_WithNss_and_runs_as_that_user()
    {
        var passwd = images.RunImage("getent", [], "/usr/bin/getent", "passwd");
        Assert.True(passwd.ExitCode == 0, passwd.ToString());
        Assert.Equal("root:x:0:0:root:/root:/sbin/nologin\napp:x:1000:1000:app:/home/app:/sbin/nologin\n", passwd.Stdout);

        var group = images.RunImage("getent", [], "/usr/bin/getent", "group", "app");
        Assert.Equal("app:x:1000:\n", group.Stdout);

        var hosts = images.RunImage("getent", [], "/usr/bin/getent", "hosts", "localhost"); // /etc/hosts is Docker's
        Assert.True(hosts.ExitCode == 0, hosts.ToString());

        var user = Run.Docker("image", "inspect", "--format", "{{.Config.User}}", images.Image("getent"));
        Assert.Equal("1000:1000", user.Stdout.Trim());
    }

    [Fact]
    public void Pthread_cancel_works_with_WithLibgcc_and_aborts_without_it()
    {
        // --init: as PID 1 a process ignores SIGABRT, so abort() would end in SIGSEGV (139) instead of 134.
        var with = images.RunImage("cancel", ["--init"]);
        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.Equal("cancelled\n", with.Stdout);

        var without = images.RunImage("cancel-without-libgcc", ["--init"]);
        Assert.Equal(134, without.ExitCode);
        Assert.Contains("libgcc_s.so.1 must be installed for pthread_cancel to work", without.Stderr);
    }

    [Fact]
    public void Curl_runs_with_its_ca_bundle()
    {
        var version = images.RunImage("curl-tls", [], "/usr/bin/curl", "--version");
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Contains("OpenSSL/3", version.Stdout);

        // With no network, curl gets as far as resolving: the CA file is accepted and DNS fails (6), not a TLS setup error.
        var fetch = images.RunImage("curl-tls", [], "/usr/bin/curl", "-sS", "--cacert", "/etc/ssl/certs/ca-certificates.crt", "https://example.com/");
        Assert.Equal(6, fetch.ExitCode);

        var archive = ImageArchive.Read(Path.Combine(images.Directory, "out", $"{images.Prefix}-curl-tls.tar"));
        Assert.Contains("/etc/ssl/certs/ca-certificates.crt", archive.NonDirectories());
        Assert.Contains(archive.LayerEntries, e => e.Name == "usr/lib/ssl/certs" && e.LinkName == "/etc/ssl/certs");
    }

    [Fact]
    public void A_traced_python_runs_the_code_it_was_traced_with()
    {
        var result = images.RunImage("python-traced", [], "/usr/bin/python3", "-c", "import json, zlib; print(json.dumps([1]))");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("[1]\n", result.Stdout);
    }
}
