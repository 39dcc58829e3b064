// An ASP.NET Core minimal API (dotnet-webapi/), published by the recipe, in a scratch image with what it runs on.
//   tinyrun recipes/dotnet-webapi.tiny.csx --load [--arg publish=framework|self-contained|aot] [--arg globalization=false] [--arg openssl=true|auto]
//   docker run --rm --network host dotnet-webapi   then   curl http://127.0.0.1:8080/releases
// framework: the shared ASP.NET Core and .NET runtimes from this machine's .NET installation, of their assemblies only
// those the .NET trimmer keeps for this app (the recipe publishes it a second time, trimmed and self-contained, for the
// trimmer's analysis: trimmedPublish; the app trims without warnings, as Native AOT needs anyway); self-contained:
// trimmed (PublishTrimmed), the runtime inside the app; aot: Native AOT (needs clang and zlib1g-dev).
// globalization=false publishes with InvariantGlobalization: no ICU in the image.
// OpenSSL: this API serves plain HTTP (ASPNETCORE_HTTP_PORTS) and makes no outbound request, so the runtime never
// loads libssl (checked: it is not mapped after a request is served), and the default here (openssl=false) leaves
// OpenSSL and the CA certificates out. Kestrel has HTTPS in it, so AddDotnetApp on its own (openssl=auto) adds them
// for any ASP.NET Core app: HTTPS endpoints can be switched on at run time (ASPNETCORE_URLS=https://..., appsettings).
// Use openssl=true (or auto) for an app that serves HTTPS or calls HTTPS services, as dotnet-docker's releasesapi
// sample does (its HttpClient fetches the release notes from builds.dotnet.microsoft.com).
using System.Runtime.InteropServices;

var publish = Args.Get("publish", "framework");
var globalization = Args.Get("globalization", "true");
bool? openSsl = Args.Get("openssl", "false") switch { "auto" => null, "false" => false, "true" => true, var other => throw new ArgumentException($"--arg openssl={other}: use false, true or auto") };
var rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
var how = publish switch
{
    "framework" => "",
    // dotnet-webapi/trim-roots.xml works around a trimmer bug that would stop Kestrel at start.
    "self-contained" => $"-r {rid} --self-contained -p:PublishTrimmed=true",
    "aot" => $"-r {rid} -p:PublishAot=true",
    _ => throw new ArgumentException($"--arg publish={publish}: use framework, self-contained or aot"),
};
var output = $"dotnet-webapi/bin/publish-{publish}-{globalization}";
var artifacts = $"dotnet-webapi/bin/artifacts-{publish}-{globalization}";
// Each way has its own obj/ (--artifacts-path), made afresh: the trimmer reuses what an earlier publish left there,
// even when the trimming options changed.
var invariant = $"-p:InvariantGlobalization={(globalization == "true" ? "false" : "true")}";
Sh($"rm -rf {output} {artifacts} && dotnet publish dotnet-webapi/webapi.csproj -c Release -o {output} --artifacts-path {artifacts} --nologo {how} {invariant}");
string? trimmed = null;
if (publish == "framework")
{
    trimmed = $"{output}-trimmed";
    Sh($"rm -rf {trimmed} {artifacts}-trimmed && dotnet publish dotnet-webapi/webapi.csproj -c Release -o {trimmed} --artifacts-path {artifacts}-trimmed --nologo -r {rid} --self-contained -p:PublishTrimmed=true {invariant}");
}

From.Scratch()
    .AddDotnetApp(output, openSsl: openSsl, trimmedPublish: trimmed)
    .Env("ASPNETCORE_HTTP_PORTS", "8080")
    .Expose(8080)
    .Tag("dotnet-webapi:latest")
    .TestPathExists("/app/webapi");
