// A Go web server built static by the recipe, alone in a scratch image.
//   docker run --rm --network host hello-web   then   curl http://127.0.0.1:8080/
Sh("CGO_ENABLED=0 go build -trimpath -ldflags '-s -buildid=' -o hello-web/hello hello-web/hello.go");

From.Scratch()
    .AddBinary("hello-web/hello", "/hello")
    .WithLibs() // a static binary: adds nothing
    .Env("PORT", "8080")
    .Expose(8080)
    .Entrypoint("/hello")
    .Tag("hello-web:latest")
    .TestPathExists("/hello")
    .TestPathMissing("/lib64"); // static: no loader, no libraries
