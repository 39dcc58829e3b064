// The empty image: no operating system, no files. `docker image inspect` reports Size 0.
From.Scratch()
    .Tag("empty:latest")
    .TestPathMissing("/bin")
