// curl from Debian 12's packages with the CA bundle made from ca-certificates, as update-ca-certificates would:
// the same image on any machine, pinned by curl-deb.tiny.lock.
var debian = Debian.Release("bookworm");

From.Scratch()
    .Root(debian.Install("curl", "ca-certificates"))
    .AddBinary("/usr/bin/curl")
    .WithLibs()
    .WithCaCertificates()
    .Entrypoint("/usr/bin/curl")
    .Cmd("--version")
    .Platforms(["linux/amd64", "linux/arm64"])
    .Tag("curl-deb:latest")
    .Test("prints its version", "", expectOutputContains: "curl 7.88")
    .TestPathExists("/etc/ssl/certs/ca-certificates.crt")
    .TestPathMissing("/bin/sh");
