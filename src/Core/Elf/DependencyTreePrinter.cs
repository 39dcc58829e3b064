using System.Text;

namespace TinyImage.Core.Elf;

/// <summary>Renders dependency trees as lddtree does: one line per library, indented four spaces per level.</summary>
public static class DependencyTreePrinter
{
    /// <summary>
    /// Renders every root of <paramref name="closure"/>. Repeated libraries are left out unless
    /// <paramref name="showRepeats"/>, which prints them with "(already loaded)".
    /// </summary>
    /// <param name="annotate">Optional text shown in parentheses after a path, e.g. its size; null shows nothing.</param>
    public static string Print(Closure closure, bool showRepeats = false, Func<string, string?>? annotate = null) =>
        Print(closure.Roots, showRepeats, annotate);

    /// <inheritdoc cref="Print(Closure, bool, Func{string, string?})"/>
    public static string Print(IEnumerable<DependencyNode> roots, bool showRepeats = false, Func<string, string?>? annotate = null)
    {
        annotate ??= _ => null;
        var text = new StringBuilder();
        foreach (var root in roots)
        {
            text.Append(root.Path);
            if (annotate(root.Path) is { } rootNote) text.Append(" (").Append(rootNote).Append(')');
            if (root.Interpreter is { } interp) text.Append(" (interpreter => ").Append(interp).Append(')');
            else if (root.IsStatic) text.Append(" (static)");
            text.Append('\n');
            foreach (var child in root.Children) Append(text, child, 1, showRepeats, annotate);
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, DependencyNode node, int depth, bool showRepeats, Func<string, string?> annotate)
    {
        if (node.IsRepeat && !showRepeats) return;
        text.Append(' ', depth * 4).Append(node.Name).Append(" => ").Append(node.Path);
        if (node.IsRepeat) text.Append(" (already loaded)");
        else if (annotate(node.Path) is { } note) text.Append(" (").Append(note).Append(')');
        text.Append('\n');
        foreach (var child in node.Children) Append(text, child, depth + 1, showRepeats, annotate);
    }
}
