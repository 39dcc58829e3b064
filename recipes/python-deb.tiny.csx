// Python 3.11 and its standard library from Debian 12's packages (pinned by python-deb.tiny.lock): the interpreter,
// the library tree and the shared libraries its C modules need (_sqlite3 brings libsqlite3), nothing else.
var debian = Debian.Release("bookworm");

From.Scratch()
    .Root(debian.Install("python3"))
    .AddBinary("/usr/bin/python3")
    .AddDirectory("/usr/lib/python3.11", "/usr/lib/python3.11")
    .WithLibs()
    .Entrypoint("/usr/bin/python3")
    .Tag("python-deb:latest")
    .Test("imports json and sqlite3", "/usr/bin/python3 -c 'import json, sqlite3; print(json.dumps(sqlite3.connect(\":memory:\").execute(\"select 6*7\").fetchone()))'",
        expectOutput: "[42]\n");
