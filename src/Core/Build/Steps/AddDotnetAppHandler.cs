using TinyImage.Core.Dotnet;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>
/// <c>AddDotnetApp</c>: a published .NET app, the shared frameworks and host of a framework-dependent one (from the
/// host's .NET installation, at the versions hostfxr would roll forward to), of the runtime's assemblies only those the
/// app reaches (<see cref="AssemblyClosure"/>, with the deps.json files rewritten to match), the library closure of
/// every native file, what the runtime dlopens (ICU, OpenSSL, GSSAPI when asked), time zones, CA certificates, and the
/// entrypoint and environment.
/// </summary>
internal sealed class AddDotnetAppHandler : StepHandler<AddDotnetAppStep>
{
    /// <summary>Where a framework-dependent app's runtime goes: where Microsoft's images and Debian's packages put it.</summary>
    private const string ImageDotnetRoot = "/usr/share/dotnet";

    /// <summary>
    /// Files of the runtime that a running app never loads unless asked: the LTTng trace provider (loaded only when
    /// liblttng-ust is there, and DOTNET_LTTng is not 0), the debugger's and dump writer's libraries (loaded by a
    /// debugger or createdump, neither of which is in the image) and the standalone GCs (loaded only with DOTNET_GCName).
    /// </summary>
    private static readonly HashSet<string> DiagnosticsFiles = new(StringComparer.Ordinal)
    {
        "libcoreclrtraceptprovider.so", "libmscordbi.so", "libmscordaccore.so", "createdump", "libclrgc.so", "libclrgcexp.so",
    };

    /// <summary>Debug symbols beside a Native AOT program (NAME.dbg): an ELF file that is never loaded.</summary>
    private const string DebugSymbols = ".dbg";

    // The versions of ICU the runtime probes (src/native/libs/System.Globalization.Native/pal_icushim.c), newest first.
    private const int NewestIcu = 99;
    private const int OldestIcu = 50;

    // The OpenSSL sonames the runtime probes (pal_crypto openssl.c), in its order.
    private static readonly string[] OpenSslNames = ["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10"];

    // The GSSAPI library System.Net.Security.Native dlopens for Negotiate (Kerberos, NTLM) authentication.
    private const string GssapiName = "libgssapi_krb5.so.2";

    protected override void Apply(AddDotnetAppStep step, BuildContext context)
    {
        var reason = BuildContext.From(step, "AddDotnetApp");
        var files = context.FilesOf(step.Tree);
        var real = files.Resolve(step.Source)?.RealPath
            ?? throw new TinyImageException($"AddDotnetApp: '{step.Source}' does not exist; give the output directory of dotnet publish (-o DIR)");
        var appDirectory = files.HostPath(real);
        var app = DotnetApp.Read(appDirectory);
        var architecture = context.Platform?.Architecture ?? Platform.Host().Architecture;
        var trimmed = TrimmedPublishOf(step, app);
        var elves = new List<ElfInput>();
        var runtimePack = app.Kind == DotnetAppKind.SelfContained && !step.WholeFramework ? RuntimePackLeftOut(appDirectory, app) : [];
        foreach (var (imagePath, hostPath) in AddFiltered(context, files, step.Source, step.Destination, reason, step.Tree == SourceTree.Recipe, step.Diagnostics, architecture,
            runtimePack, app.Name + ".deps.json"))
            if (IsLoadable(hostPath)) elves.Add(new ElfInput(imagePath, context.RecipeFiles, hostPath));
        if (trimmed is not null) AddTrimmerSwitches(context, step, app, trimmed);

        var env = new List<KeyValuePair<string, string>>();
        if (app.Kind == DotnetAppKind.FrameworkDependent)
        {
            var runtime = DotnetRoot.Find(step.DotnetRoot, Environment.GetEnvironmentVariable);
            var fromRuntime = reason.Because($"runtime of the framework-dependent app, from {runtime.Path}") with { FromRecipe = false };
            var frameworks = Frameworks(app, runtime, step.Source);
            trimmed?.CheckFrameworks(frameworks.Select(f => (f.Name, Path.GetFileName(f.Directory))));
            var leftOut = step.WholeFramework ? [] : FrameworkLeftOut(appDirectory, frameworks, trimmed);
            foreach (var (framework, name) in frameworks)
            {
                var imageDirectory = ImagePath.Combine(ImageDotnetRoot, Path.GetRelativePath(runtime.Path, framework));
                var ours = leftOut.Where(f => Path.GetDirectoryName(f) == framework).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
                foreach (var (imagePath, hostPath) in AddFiltered(context, context.RecipeFiles, framework, imageDirectory, fromRuntime, false, step.Diagnostics, architecture,
                    ours, name + ".deps.json"))
                    if (IsLoadable(hostPath)) elves.Add(new ElfInput(imagePath, context.RecipeFiles, hostPath));
            }
            foreach (var hostPath in new[] { runtime.Muxer(), runtime.HostFxr() })
            {
                var imagePath = ImagePath.Combine(ImageDotnetRoot, Path.GetRelativePath(runtime.Path, hostPath));
                context.Tree.Add(FileEntry.HostFile(imagePath, hostPath, HostFiles.ModeOf(hostPath), fromRuntime));
                elves.Add(new ElfInput(imagePath, context.RecipeFiles, hostPath));
            }
            env.Add(KeyValuePair.Create("DOTNET_ROOT", ImageDotnetRoot));
        }

        var first = AddClosure(context, elves, reason, step.Source);
        var runtimeNeeds = reason with { FromRecipe = false };
        if (app.Config.InvariantGlobalization || step.InvariantGlobalization)
        {
            if (!app.Config.InvariantGlobalization) env.Add(KeyValuePair.Create("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1"));
        }
        else
        {
            AddIcu(context, first, runtimeNeeds);
        }
        if (step.OpenSsl ?? app.UsesOpenSsl)
        {
            var (ssl, searched) = OpenSslNames.Select(n => context.Locator.Find(n, first)).FirstOrDefault(f => f.Path is not null, (null, []));
            if (ssl is null)
                throw new TinyImageException($"AddDotnetApp: the app uses cryptography or TLS, and OpenSSL (libssl.so.3) is not in [{string.Join(", ", searched)}] {context.Root.Where}; {context.Root.HowToInstall("libssl3")}");
            context.AddElfFiles([ssl], runtimeNeeds.Because("OpenSSL, which the runtime loads for cryptography and TLS"));
        }
        if (step.Gssapi)
        {
            var (gssapi, searched) = context.Locator.Find(GssapiName, first);
            if (gssapi is null)
                throw new TinyImageException($"AddDotnetApp: gssapi: true, and {GssapiName} is not in [{string.Join(", ", searched)}] {context.Root.Where}; {context.Root.HowToInstall("libgssapi-krb5-2")}");
            context.AddElfFiles([gssapi], runtimeNeeds.Because("GSSAPI (Kerberos), which the runtime loads for Negotiate authentication (gssapi: true)"));
        }
        if (!app.Config.InvariantTimezone)
            new WithTimezonesHandler().Apply(new WithTimezonesStep(null) { Origin = step.Origin }, context);
        if (step.OpenSsl ?? app.UsesTls)
            new WithCaCertificatesHandler().Apply(new WithCaCertificatesStep { Origin = step.Origin }, context);

        var config = context.Config;
        var destination = step.Destination;
        config = config with
        {
            Entrypoint = config.Entrypoint ?? (app.Executable is { } executable
                ? [ImagePath.Combine(destination, Path.GetFileName(executable))]
                : [ImagePath.Combine(ImageDotnetRoot, "dotnet"), ImagePath.Combine(destination, app.Name + ".dll")]),
            WorkingDir = config.WorkingDir ?? destination,
            Env = config.Env.AddRange(env.Where(e => !config.Env.Any(kv => kv.Key == e.Key))),
        };
        context.Config = config;
    }

    /// <summary>The trimmed publish the step names, checked against the app; null when it names none.</summary>
    private static TrimmedPublish? TrimmedPublishOf(AddDotnetAppStep step, DotnetApp app)
    {
        if (step.TrimmedPublish is not { } directory) return null;
        if (step.WholeFramework)
            throw new TinyImageException("AddDotnetApp: wholeFramework: true keeps every framework assembly and trimmedPublish keeps those the trimmer kept; give one of them");
        if (app.Kind != DotnetAppKind.FrameworkDependent)
            throw new TinyImageException($"AddDotnetApp: trimmedPublish is for a framework-dependent app, and '{step.Source}' is {app.Kind switch
            {
                DotnetAppKind.SelfContained => "self-contained: publish it with -p:PublishTrimmed=true itself",
                _ => "compiled with its runtime: leave trimmedPublish out",
            }}");
        if (!Directory.Exists(directory))
            throw new TinyImageException($"AddDotnetApp: trimmedPublish '{directory}' does not exist; publish the app there: dotnet publish -r linux-x64 --self-contained -p:PublishTrimmed=true -o {directory}");
        return TrimmedPublish.Read(directory, app.Name);
    }

    /// <summary>Rewrites the app's runtimeconfig.json in the image with the feature switches the trimmer assumed, where the app does not set them.</summary>
    private static void AddTrimmerSwitches(BuildContext context, AddDotnetAppStep step, DotnetApp app, TrimmedPublish trimmed)
    {
        var added = trimmed.SwitchesMissingFrom(app.Config.Properties, $"{step.Source}/{app.Name}.runtimeconfig.json");
        var path = ImagePath.Combine(step.Destination, app.Name + ".runtimeconfig.json");
        if (added.Count == 0 || context.Tree.Find(path) is not { Kind: EntryKind.File, SourcePath: { } hostPath } config) return;
        context.Tree.Add(FileEntry.Inline(path, RuntimeConfig.WithProperties(RegularFile.ReadAllBytes(hostPath, RuntimeConfig.MaxBytes), added, hostPath), config.Mode,
            config.Provenance.Because($"with the {added.Count} feature switches of the trimmed publish {step.TrimmedPublish} (the framework assemblies kept are the trimmer's)")));
    }

    /// <summary>
    /// The assemblies of the shared frameworks (host paths) the app does not reach: by the trimmer's analysis when there
    /// is a <paramref name="trimmed"/> publish, else through the app's assemblies' references (<see cref="AssemblyClosure"/>).
    /// </summary>
    private static List<string> FrameworkLeftOut(string appDirectory, List<(string Directory, string Name)> frameworks, TrimmedPublish? trimmed)
    {
        var assemblies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (directory, _) in frameworks)
            foreach (var file in Directory.EnumerateFiles(directory, "*.dll").Order(StringComparer.Ordinal))
                assemblies.TryAdd(Path.GetFileNameWithoutExtension(file), file);
        var own = Directory.EnumerateFiles(appDirectory, "*.dll", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var reached = trimmed?.Keep(own, assemblies) ?? AssemblyClosure.Of(own, assemblies);
        return [.. assemblies.Where(a => !reached.Contains(a.Key) && AssemblyReferences.Read(a.Value) is not null).Select(a => a.Value)];
    }

    /// <summary>
    /// The assemblies of a self-contained app's runtime pack (paths relative to the app, as its deps.json names them) that
    /// the app's own assemblies do not reach.
    /// </summary>
    private static HashSet<string> RuntimePackLeftOut(string appDirectory, DotnetApp app)
    {
        var depsPath = Path.Combine(appDirectory, app.Name + ".deps.json");
        if (!File.Exists(depsPath)) return [];
        var pack = DepsFile.Read(depsPath).RuntimePackFiles
            .Where(f => f.EndsWith(".dll", StringComparison.Ordinal) && !f.Contains('/') && File.Exists(Path.Combine(appDirectory, f)))
            .ToDictionary(f => f[..^".dll".Length], f => Path.Combine(appDirectory, f), StringComparer.Ordinal);
        var own = Directory.EnumerateFiles(appDirectory, "*.dll", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Where(f => !pack.ContainsKey(Path.GetFileNameWithoutExtension(f)) || Path.GetDirectoryName(f) != appDirectory.TrimEnd('/'));
        var reached = AssemblyClosure.Of(own, pack);
        return pack.Where(a => !reached.Contains(a.Key) && AssemblyReferences.Read(a.Value) is not null).Select(a => a.Key + ".dll").ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Copies a directory like AddDirectory, leaving out the diagnostics files (unless asked), the native files of
    /// other platforms under <c>runtimes/RID</c> and the assemblies <paramref name="assembliesLeftOut"/> (paths relative to
    /// the directory); the deps.json <paramref name="depsName"/> in it, when files are left out, is rewritten without
    /// them (<see cref="DepsFile.WithoutAssets"/>). Returns the regular files copied.
    /// </summary>
    private static List<(string ImagePath, string HostPath)> AddFiltered(BuildContext context, HostFiles files, string source, string destination,
        Provenance reason, bool normaliseModes, bool diagnostics, string architecture, IReadOnlySet<string> assembliesLeftOut, string depsName)
    {
        var leftOut = assembliesLeftOut.Select(f => ImagePath.Combine(destination, f)).ToHashSet(StringComparer.Ordinal);
        var scratch = new FileTree();
        var copied = files.AddDirectory(scratch, source, destination, reason, normaliseModes);
        var runtimes = ImagePath.Combine(destination, "runtimes") + "/";
        var rids = architecture switch { "amd64" => "x64", "386" => "x86", var other => other };
        string[] ours = [$"linux-{rids}", "linux", "unix", "any"];
        bool Keep(string path) =>
            !leftOut.Contains(path)
            && (diagnostics || !(DiagnosticsFiles.Contains(Path.GetFileName(path)) || path.EndsWith(DebugSymbols, StringComparison.Ordinal)))
            && (!path.StartsWith(runtimes, StringComparison.Ordinal) || ours.Contains(path[runtimes.Length..].Split('/')[0]));
        foreach (var path in scratch.Paths.Where(Keep).ToList())
            context.Tree.Add(scratch.Find(path)!);
        var skipped = scratch.Paths.Where(p => !Keep(p) && scratch.Find(p)!.Kind == EntryKind.File)
            .Select(p => p[(destination.TrimEnd('/').Length + 1)..]).ToHashSet(StringComparer.Ordinal);
        var depsPath = ImagePath.Combine(destination, depsName);
        if (skipped.Count > 0 && scratch.Find(depsPath) is { Kind: EntryKind.File, SourcePath: { } depsHostPath } deps)
            context.Tree.Add(FileEntry.Inline(depsPath, DepsFile.WithoutAssets(RegularFile.ReadAllBytes(depsHostPath, DepsFile.MaxBytes), skipped, depsHostPath), deps.Mode,
                deps.Provenance.Because($"rewritten without the {skipped.Count} files left out ({assembliesLeftOut.Count} assemblies the app does not reach: wholeFramework: true keeps them)")));
        return copied.Where(c => Keep(c.ImagePath)).ToList();
    }

    /// <summary>An ELF file the loader maps (a program or library), not the debug symbols of one.</summary>
    private static bool IsLoadable(string hostPath) => !hostPath.EndsWith(DebugSymbols, StringComparison.Ordinal) && ElfReader.IsElf(hostPath);

    /// <summary>The directories of the shared frameworks the app runs on, and of those they run on (ASP.NET Core on NETCore.App).</summary>
    private static List<(string Directory, string Name)> Frameworks(DotnetApp app, DotnetRoot runtime, string source)
    {
        var chosen = new List<(string Directory, string Name)>();
        var pending = new Queue<(FrameworkReference Framework, string RollForward, string ConfigName)>(
            app.Config.Frameworks.Select(f => (f, app.Config.RollForward, $"{source}/{app.Name}.runtimeconfig.json")));
        while (pending.Count > 0)
        {
            var (framework, rollForward, configName) = pending.Dequeue();
            var directory = runtime.Framework(framework, rollForward, configName);
            if (chosen.Contains((directory, framework.Name))) continue;
            chosen.Add((directory, framework.Name));
            var own = Path.Combine(directory, framework.Name + ".runtimeconfig.json");
            if (File.Exists(own))
                foreach (var next in RuntimeConfig.Read(own).Frameworks)
                    pending.Enqueue((next, rollForward, own));
        }
        return chosen;
    }

    /// <summary>Notes the native files for later WithLibs and adds their closure; returns the headers of the first (the app's launcher or runtime).</summary>
    private static ElfInfo AddClosure(BuildContext context, List<ElfInput> elves, Provenance reason, string source)
    {
        if (elves.Count == 0)
            throw new TinyImageException($"AddDotnetApp: '{source}' and its runtime have no native file (no apphost, no libcoreclr.so); publish the app again with dotnet publish");
        ElfInfo? first = null;
        foreach (var input in elves)
        {
            var info = ElfReader.Read(input.Files.HostPath(input.SourcePath));
            if (context.Platform is { } platform && info.OciArchitecture != platform.Architecture)
                throw new TinyImageException($"AddDotnetApp: {input.SourcePath} is for {info.OciArchitecture}, but the image is for {platform}; publish the app for linux-{platform.Architecture} (dotnet publish -r)");
            context.Architecture ??= info.OciArchitecture;
            context.NoteElf(input, info);
            first ??= info;
        }
        context.AddClosure(elves, reason with { FromRecipe = false });
        return first!;
    }

    /// <summary>ICU as the runtime finds it: the newest libicuuc.so.N the loader finds, with libicui18n.so.N (libicudata comes as theirs).</summary>
    private static void AddIcu(BuildContext context, ElfInfo program, Provenance reason)
    {
        for (var version = NewestIcu; version >= OldestIcu; version--)
        {
            if (context.Locator.Find($"libicuuc.so.{version}", program).Path is not { } uc) continue;
            var i18n = context.Locator.Find($"libicui18n.so.{version}", program).Path
                ?? throw new TinyImageException($"AddDotnetApp: {uc} is {context.Root.Where} but libicui18n.so.{version} is not; install the whole ICU package (libicu{version})");
            context.AddElfFiles([uc, i18n], reason.Because($"ICU {version}, which the runtime loads for globalization (publish with InvariantGlobalization=true to leave it out)"));
            return;
        }
        var searched = context.Locator.Find($"libicuuc.so.{NewestIcu}", program).Searched;
        throw new TinyImageException($"AddDotnetApp: the app uses ICU (globalization), and no libicuuc.so.{OldestIcu}-{NewestIcu} is in [{string.Join(", ", searched)}] {context.Root.Where}; {context.Root.HowToInstall("libicu72")}, or publish with InvariantGlobalization=true");
    }
}
