// Python with exactly the standard-library files one run opens, found by tracing it once on the host.
//   docker run --rm --network none python-traced
From.Scratch()
    .AddBinary("/usr/bin/python3")
    .WithLibs()
    .Trace(["-c", "import json, sqlite3; print(json.dumps({'sqlite': sqlite3.sqlite_version}))"])
    .WithLocale("C.utf8")
    .Entrypoint("/usr/bin/python3", "-c", "import json, sqlite3; print(json.dumps({'sqlite': sqlite3.sqlite_version}))")
    .Tag("python-traced:latest");
