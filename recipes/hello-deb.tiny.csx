// GNU hello from Debian 12's packages, on any machine: the files come from the packages that
// hello-deb.tiny.lock pins (tinyrun lock refreshes it), never from the host.
var debian = Debian.Release("bookworm");

From.Scratch()
    .Root(debian.Install("hello"))
    .AddBinary("/usr/bin/hello")
    .WithLibs()
    .Entrypoint("/usr/bin/hello")
    .Platforms(["linux/amd64", "linux/arm64"])
    .Tag("hello-deb:latest")
    .Test("greets", "", expectOutput: "Hello, world!\n");
