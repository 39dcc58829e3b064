// An ASP.NET Core minimal API (dotnet-webapi/), published by the recipe, in a scratch image with what it runs on.
//   tinyrun recipes/dotnet-webapi.tiny.csx --load [--arg publish=framework|self-contained|aot] [--arg globalization=false]
//   docker run --rm --network host dotnet-webapi   then   curl http://127.0.0.1:8080/releases
// framework: the shared ASP.NET Core and .NET runtimes from this machine's .NET installation; self-contained: trimmed
// (PublishTrimmed), the runtime inside the app; aot: Native AOT (needs clang and zlib1g-dev). globalization=false
// publishes with InvariantGlobalization: no ICU in the image.
using System.Runtime.InteropServices;

var publish = Args.Get("publish", "framework");
var globalization = Args.Get("globalization", "true");
var rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
var how = publish switch
{
    "framework" => "",
    "self-contained" => $"-r {rid} --self-contained -p:PublishTrimmed=true",
    "aot" => $"-r {rid} -p:PublishAot=true",
    _ => throw new ArgumentException($"--arg publish={publish}: use framework, self-contained or aot"),
};
var output = $"dotnet-webapi/bin/publish-{publish}-{globalization}";
Sh($"rm -rf {output} && dotnet publish dotnet-webapi/webapi.csproj -c Release -o {output} --nologo {how} -p:InvariantGlobalization={(globalization == "true" ? "false" : "true")}");

From.Scratch()
    .AddDotnetApp(output)
    .Env("ASPNETCORE_HTTP_PORTS", "8080")
    .Expose(8080)
    .Tag("dotnet-webapi:latest")
    .TestPathExists("/app/webapi");
