// An ASP.NET Core minimal API (dotnet-webapi/), published by the recipe, in a scratch image with what it runs on.
//   tinyrun recipes/dotnet-webapi.tiny.csx --load [--arg publish=framework|self-contained|aot] [--arg globalization=false] [--arg openssl=false]
//   docker run --rm --network host dotnet-webapi   then   curl http://127.0.0.1:8080/releases
// framework: the shared ASP.NET Core and .NET runtimes from this machine's .NET installation; self-contained: trimmed
// (PublishTrimmed, TrimMode=partial), the runtime inside the app; aot: Native AOT (needs clang and zlib1g-dev). globalization=false
// publishes with InvariantGlobalization: no ICU in the image. openssl=false leaves OpenSSL and the CA certificates out:
// this API serves plain HTTP and does no cryptography, so it never loads them (HTTPS would need them).
using System.Runtime.InteropServices;

var publish = Args.Get("publish", "framework");
var globalization = Args.Get("globalization", "true");
bool? openSsl = Args.Get("openssl", "") switch { "" => null, "false" => false, "true" => true, var other => throw new ArgumentException($"--arg openssl={other}: use true or false") };
var rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
var how = publish switch
{
    "framework" => "",
    // TrimMode=full (the default) removes, with .NET 10.0.12's trimmer, X509Certificate2Collection.GetEnumerator that
    // Kestrel calls: the app stops at start with a TypeLoadException, on the host too. partial trims the app's own code.
    "self-contained" => $"-r {rid} --self-contained -p:PublishTrimmed=true -p:TrimMode=partial",
    "aot" => $"-r {rid} -p:PublishAot=true",
    _ => throw new ArgumentException($"--arg publish={publish}: use framework, self-contained or aot"),
};
var output = $"dotnet-webapi/bin/publish-{publish}-{globalization}";
var artifacts = $"dotnet-webapi/bin/artifacts-{publish}-{globalization}";
// Each way has its own obj/ (--artifacts-path), made afresh: the trimmer reuses what an earlier publish left there,
// even when the trimming options changed.
Sh($"rm -rf {output} {artifacts} && dotnet publish dotnet-webapi/webapi.csproj -c Release -o {output} --artifacts-path {artifacts} --nologo {how} -p:InvariantGlobalization={(globalization == "true" ? "false" : "true")}");

From.Scratch()
    .AddDotnetApp(output, openSsl: openSsl)
    .Env("ASPNETCORE_HTTP_PORTS", "8080")
    .Expose(8080)
    .Tag("dotnet-webapi:latest")
    .TestPathExists("/app/webapi");
