using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithGconv</c>: iconv's module configuration and the modules of the named character sets.</summary>
internal sealed class WithGconvHandler : StepHandler<WithGconvStep>
{
    protected override void Apply(WithGconvStep step, BuildContext context)
    {
        var program = context.FirstElf
            ?? throw new TinyImageException("WithGconv: add the program with AddBinary first; the gconv directory depends on its machine");
        var root = context.Root;
        var defaults = LoaderDefaults.For(program, context.Resolver.Options);
        var directory = "/usr/" + (defaults.Lib ?? "lib") + "/gconv";
        var hostDirectory = context.RealDirectory(directory) is { } real ? root.HostPath(real) : null;
        var hasConfig = context.IsRootFile(directory + "/gconv-modules") || context.IsRootFile(directory + "/gconv-modules.cache");
        if (hostDirectory is null || !hasConfig)
            throw new TinyImageException($"WithGconv: {directory} has no gconv-modules {root.Where}; {root.HowToInstall("libc6")}");
        var reason = BuildContext.From(step);
        foreach (var config in new[] { "gconv-modules", "gconv-modules.cache" })
            if (context.IsRootFile(directory + "/" + config))
                root.AddFile(context.Tree, directory + "/" + config, reason);
        if (context.RealDirectory(directory + "/gconv-modules.d") is { } confDirectory)
            foreach (var conf in Directory.GetFiles(InputRecorder.Observe(root.HostPath(confDirectory))).Order(StringComparer.Ordinal))
                root.AddFile(context.Tree, directory + "/gconv-modules.d/" + Path.GetFileName(conf), reason);

        var modules = new SortedSet<string>(StringComparer.Ordinal);
        if (step.Charsets.IsEmpty)
        {
            foreach (var file in Directory.GetFiles(InputRecorder.Observe(hostDirectory), "*.so"))
                modules.Add(directory + "/" + Path.GetFileName(file));
        }
        else
        {
            var config = GconvModules.Read(hostDirectory, directory);
            foreach (var charset in step.Charsets)
            {
                var files = config.ModulesFor(charset)
                    ?? throw new TinyImageException($"WithGconv: '{charset}' is not a character set in {directory}/gconv-modules; `iconv -l` lists the known ones");
                foreach (var file in files)
                {
                    if (!context.IsRootFile(file))
                        throw new TinyImageException($"WithGconv: {file} (for {charset}) does not exist {root.Where}; {root.HowToInstall("libc6")}");
                    modules.Add(file);
                }
            }
        }
        context.AddElfFiles(modules, reason.Because("gconv module"));
    }
}
