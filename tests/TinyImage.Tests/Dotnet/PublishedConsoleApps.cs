using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Dotnet;

/// <summary>
/// A small console app (a date in de-DE, a time in Europe/Berlin, a SHA-256, and the body of the https URL it is given,
/// if any), published once per test class with the
/// host's .NET SDK, each way on first use: framework-dependent, self-contained, single-file, Native AOT, and
/// framework-dependent with InvariantGlobalization. Each is published from its own copy of the project, so no two share obj/.
/// </summary>
public sealed class PublishedConsoleApps : IDisposable
{
    /// <summary>What every variant with ICU and time zone data prints.</summary>
    public const string ExpectedOutput = "date: Dienstag, 5. März 2024\nberlin: 13:00\nsha256: 17cec10c04bdc33271895d806a6ed52e72058b6e0f462477c96eff15f6245468\n";

    /// <summary>What the invariant variant prints: no culture data, the rest as before.</summary>
    public const string ExpectedInvariantOutput = "date: no culture data for de-DE\nberlin: 13:00\nsha256: 17cec10c04bdc33271895d806a6ed52e72058b6e0f462477c96eff15f6245468\n";

    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <AssemblyName>hello</AssemblyName>
          </PropertyGroup>
        </Project>
        """;

    private const string Program = """
        using System.Globalization;
        using System.Security.Cryptography;
        using System.Text;

        var noon = new DateTime(2024, 3, 5, 12, 0, 0, DateTimeKind.Utc);
        try
        {
            Console.WriteLine("date: " + noon.ToString("D", CultureInfo.GetCultureInfo("de-DE")));
        }
        catch (CultureNotFoundException)
        {
            Console.WriteLine("date: no culture data for de-DE");
        }
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        Console.WriteLine("berlin: " + TimeZoneInfo.ConvertTimeFromUtc(noon, berlin).ToString("HH:mm", CultureInfo.InvariantCulture));
        Console.WriteLine("sha256: " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("tinyimage"))));
        if (args.Length > 0)
        {
            using var http = new HttpClient();
            Console.WriteLine("https: " + await http.GetStringAsync(args[0]));
        }
        """;

    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string> _published = [];
    private readonly Lock _lock = new();

    /// <summary>
    /// The directory the variant was published to: "fd", "sc", "sc-trimmed" (self-contained, trimmed), "sc-arm64"
    /// (self-contained for linux-arm64), "single", "invariant" or "aot" (Native AOT: needs clang and zlib1g-dev).
    /// </summary>
    public string Published(string variant)
    {
        lock (_lock)
        {
            if (_published.TryGetValue(variant, out var done)) return done;
            string[] arguments = variant switch
            {
                "fd" => [],
                "sc" => ["-r", "linux-x64", "--self-contained"],
                "sc-trimmed" => ["-r", "linux-x64", "--self-contained", "-p:PublishTrimmed=true"],
                "sc-arm64" => ["-r", "linux-arm64", "--self-contained"],
                "single" => ["-r", "linux-x64", "--self-contained", "-p:PublishSingleFile=true"],
                "invariant" => ["-p:InvariantGlobalization=true"],
                "aot" => ["-r", "linux-x64", "-p:PublishAot=true"],
                _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "fd, sc, sc-trimmed, sc-arm64, single, invariant or aot"),
            };
            _dir.Write($"{variant}/src/hello.csproj", Project);
            _dir.Write($"{variant}/src/Program.cs", Program);
            var output = _dir.Combine($"{variant}/publish");
            var publish = Run.Process("dotnet", ["publish", _dir.Combine($"{variant}/src/hello.csproj"), "-c", "Release", "-o", output, "--nologo", .. arguments],
                environment: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" }, timeout: TimeSpan.FromMinutes(8));
            Assert.True(publish.ExitCode == 0, publish.ToString());
            return _published[variant] = output;
        }
    }

    public void Dispose() => _dir.Dispose();
}
