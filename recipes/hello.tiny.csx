// Hello world from a scratch image: /bin/echo, its ELF interpreter and its libraries, nothing else.
From.Scratch()
    .AddBinary("/bin/echo")
    .WithLibs()
    .Entrypoint("/bin/echo")
    .Cmd("Hello from TinyImage: a scratch image with /bin/echo and its libraries.")
    .Tag("hello:latest")
    .Test("greets", "", expectOutput: "Hello from TinyImage: a scratch image with /bin/echo and its libraries.");
