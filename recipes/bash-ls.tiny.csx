// bash and ls with exactly the libraries the loader opens; there is no `env` or anything else.
//   docker run --rm --network none ls /bin/bash -c 'ls -al /bin'
//   tinyrun test recipes/bash-ls.tiny.csx
From.Scratch()
    .AddBinary("/bin/bash")
    .AddBinary("/bin/ls")
    .WithLibs()
    .Cmd("/bin/bash")
    .Tag("ls:latest")
    .Test("ls lists /bin", "/bin/bash -c 'ls /bin'", expectOutput: "bash\nls")
    .Test("ls -al works", "/bin/bash -c 'ls -al /bin/'", expectOutputContains: " bash\n")
    .Test("env is not there", "/bin/bash -c env", expectExitCode: 127)
    .TestPathExists("/lib64/ld-linux-x86-64.so.2")
    .TestPathMissing("/usr/bin/env");
