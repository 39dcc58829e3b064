// bash and ls with exactly the libraries the loader opens; there is no `env` or anything else.
//   docker run --rm --network none ls /bin/bash -c 'ls -al /bin'
From.Scratch()
    .AddBinary("/bin/bash")
    .AddBinary("/bin/ls")
    .WithLibs()
    .Cmd("/bin/bash")
    .Tag("ls:latest");
