using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary><c>WithTerminfo</c>: compiled terminfo entries: a common set, the named ones, or all.</summary>
internal sealed class WithTerminfoHandler : StepHandler<WithTerminfoStep>
{
    /// <summary>The terminfo entries WithTerminfo adds when given no names.</summary>
    public static readonly IReadOnlyList<string> CommonTerminals =
        ["ansi", "dumb", "linux", "screen", "screen-256color", "tmux", "tmux-256color", "vt100", "vt220", "xterm", "xterm-256color", "xterm-color"];

    // ncurses on Debian: TERMINFO_DIRS=/etc/terminfo:/lib/terminfo:/usr/share/terminfo.
    private static readonly string[] TerminfoDirectories = ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"];

    protected override void Apply(WithTerminfoStep step, BuildContext context)
    {
        var reason = BuildContext.From(step);
        var root = context.Root;
        if (step.Terms is ["*"])
        {
            var any = false;
            foreach (var directory in TerminfoDirectories.Where(d => context.RealDirectory(d) is not null))
            {
                context.AddRootDirectory(directory, reason);
                any = true;
            }
            if (!any)
                throw new TinyImageException($"WithTerminfo: no terminfo directory {root.Where}; {root.HowToInstall("ncurses-base ncurses-term")}");
            return;
        }
        var named = !step.Terms.IsEmpty;
        var added = 0;
        foreach (var term in named ? step.Terms : CommonTerminals)
        {
            var entry = TerminfoDirectories.Select(d => $"{d}/{term[0]}/{term}").FirstOrDefault(context.IsRootFile);
            if (entry is null)
            {
                if (named)
                    throw new TinyImageException($"WithTerminfo: no terminfo entry '{term}' in {string.Join(", ", TerminfoDirectories)} {root.Where}; {root.HowToInstall("ncurses-term")}");
                continue;
            }
            root.AddFile(context.Tree, entry, reason.Because($"terminfo entry {term}"));
            added++;
        }
        if (added == 0)
            throw new TinyImageException($"WithTerminfo: none of {string.Join(", ", CommonTerminals)} is in {string.Join(", ", TerminfoDirectories)} {root.Where}; {root.HowToInstall("ncurses-base")}");
    }
}
