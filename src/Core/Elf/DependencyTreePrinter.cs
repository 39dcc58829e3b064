using System.Text;

namespace TinyImage.Core.Elf;

/// <summary>Renders dependency trees as lddtree does: one line per library, indented four spaces per level.</summary>
public static class DependencyTreePrinter
{
    /// <summary>
    /// Renders every root of <paramref name="closure"/>. Repeated libraries are left out unless
    /// <paramref name="showRepeats"/>, which prints them with "(already loaded)".
    /// </summary>
    public static string Print(Closure closure, bool showRepeats = false) => Print(closure.Roots, showRepeats);

    /// <inheritdoc cref="Print(Closure, bool)"/>
    public static string Print(IEnumerable<DependencyNode> roots, bool showRepeats = false)
    {
        var text = new StringBuilder();
        foreach (var root in roots)
        {
            text.Append(root.Path);
            if (root.Interpreter is { } interp) text.Append(" (interpreter => ").Append(interp).Append(')');
            else if (root.IsStatic) text.Append(" (static)");
            text.Append('\n');
            foreach (var child in root.Children) Append(text, child, 1, showRepeats);
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, DependencyNode node, int depth, bool showRepeats)
    {
        if (node.IsRepeat && !showRepeats) return;
        text.Append(' ', depth * 4).Append(node.Name).Append(" => ").Append(node.Path);
        if (node.IsRepeat) text.Append(" (already loaded)");
        text.Append('\n');
        foreach (var child in node.Children) Append(text, child, depth + 1, showRepeats);
    }
}
