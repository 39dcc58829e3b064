// curl with what it needs at run time beyond its libraries: CA certificates, name service, a user, /tmp.
//   docker run --rm curl https://example.com/      (--network none: curl --version)
//   tinyrun test recipes/curl.tiny.csx --arg tag=dev
#load "lib/common.tiny.csx"

WithGlibcBase(From.Scratch(), user: "curl")
    .AddBinary("/usr/bin/curl")
    .WithLibs()
    .Entrypoint("/usr/bin/curl")
    .Cmd("--version")
    .Tag("curl:" + Args.Get("tag", "latest"))
    .Test("prints its version", "", expectOutputContains: "curl ")
    .Test("needs a URL", "/usr/bin/curl", expectExitCode: 2)
    .TestPathExists("/etc/ssl/certs/ca-certificates.crt")
    .TestPathMissing("/bin/sh");
