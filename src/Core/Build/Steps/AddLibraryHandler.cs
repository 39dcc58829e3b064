using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>AddLibrary</c> and <c>WithLibgcc</c>: a library by SONAME, found as ld.so finds a dlopen'd name.</summary>
internal sealed class AddLibraryHandler : StepHandler<AddLibraryStep>
{
    protected override void Apply(AddLibraryStep step, BuildContext context)
    {
        var call = step.Package == "libgcc-s1" ? "WithLibgcc" : $"AddLibrary(\"{step.Soname}\")";
        var program = context.FirstElf
            ?? throw new TinyImageException($"{call}: add the program with AddBinary first; the library search depends on its machine");
        var (path, searched) = context.Locator.Find(step.Soname, program);
        if (path is null)
        {
            var install = step.Package is { } package ? context.Root.HowToInstall(package) : $"install the package that has it (apt-file search {step.Soname})";
            throw new TinyImageException($"{call}: {step.Soname} is not in [{string.Join(", ", searched)}] {context.Root.Where}; {install}");
        }
        context.AddElfFiles([path], BuildContext.From(step, call).Because($"{step.Soname}, loaded at run time"));
    }
}
