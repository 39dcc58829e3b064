// curl with what it needs at run time beyond its libraries: CA certificates, name service, /tmp.
//   docker run --rm curl https://example.com/      (--network none: curl --version)
From.Scratch()
    .AddBinary("/usr/bin/curl")
    .WithLibs()
    .WithCaCertificates()   // /etc/ssl/certs/ca-certificates.crt and /usr/lib/ssl links
    .WithNss()              // nsswitch.conf (hosts: files dns), /etc/services, /etc/protocols
    .WithUser("curl", 65532) // runs as 65532:65532, with /etc/passwd and /home/curl
    .WithTmp()
    .Entrypoint("/usr/bin/curl")
    .Cmd("--version")
    .Tag("curl:latest");
