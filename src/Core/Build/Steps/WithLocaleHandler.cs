using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithLocale</c>: a compiled locale directory from /usr/lib/locale.</summary>
internal sealed class WithLocaleHandler : StepHandler<WithLocaleStep>
{
    private const string Locales = "/usr/lib/locale";

    protected override void Apply(WithLocaleStep step, BuildContext context)
    {
        var candidates = new[] { step.Name, LocaleNames.Normalize(step.Name) }.Distinct(StringComparer.Ordinal).Select(n => Locales + "/" + n).ToList();
        var found = candidates.FirstOrDefault(c => context.RealDirectory(c) is not null)
            ?? throw new TinyImageException(
                $"WithLocale(\"{step.Name}\"): {string.Join(" and ", candidates)} do not exist {context.Root.Where}; C.utf8 comes with libc-bin, and other locales must be compiled to a directory first, e.g. localedef --no-archive -i en_US -f UTF-8 en_US.UTF-8 (package locales)");
        context.AddRootDirectory(found, BuildContext.From(step));
    }
}
