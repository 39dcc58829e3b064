using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Build;

/// <summary>
/// The SHA-256 of a canonical text of values: strings, numbers, enums and times; lists in order, sets and maps in a
/// sorted order; TinyImage's own records and classes by every field they hold (so a field added later counts without
/// anyone remembering to add it here). A value it cannot write down exactly (a delegate, a type of another library)
/// gives no fingerprint at all, never one that leaves it out.
/// </summary>
internal static class Fingerprint
{
    private const int MaxDepth = 32;

    /// <summary>The fingerprint of <paramref name="values"/> (lowercase hex), or null when one of them cannot be written down.</summary>
    public static string? Of(params object?[] values)
    {
        var text = new StringBuilder();
        try
        {
            Write(text, values, 0);
        }
        catch (NotSupportedException)
        {
            return null;
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static void Write(StringBuilder text, object? value, int depth)
    {
        if (depth > MaxDepth) throw new NotSupportedException("too deep");
        switch (value)
        {
            case null:
                text.Append('~');
                return;
            case string s:
                text.Append('s').Append(s.Length).Append(':').Append(s);
                return;
            case Enum e:
                text.Append(e.GetType().FullName).Append('.').Append(Convert.ToInt64(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)).Append(';');
                return;
            case bool or char or sbyte or byte or short or ushort or int or uint or long or ulong:
                text.Append(value.GetType().Name).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append(';');
                return;
            case DateTimeOffset time:
                text.Append("t:").Append(time.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append(';');
                return;
            case HostFiles files:
                // What its lookups depend on; the rest (advice for a missing package) only words messages.
                text.Append("root:");
                Write(text, files.Root, depth + 1);
                return;
            case Delegate:
                throw new NotSupportedException("a delegate");
        }
        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            text.Append("kv(");
            Write(text, type.GetProperty("Key")!.GetValue(value), depth + 1);
            Write(text, type.GetProperty("Value")!.GetValue(value), depth + 1);
            text.Append(')');
            return;
        }
        if (value is IEnumerable items)
        {
            WriteItems(text, items, type, depth);
            return;
        }
        if (type.Namespace?.StartsWith("TinyImage.", StringComparison.Ordinal) != true) throw new NotSupportedException(type.FullName);
        text.Append(type.FullName).Append('{');
        foreach (var field in FieldsOf(type))
        {
            text.Append(field.Name).Append('=');
            Write(text, field.GetValue(value), depth + 1);
        }
        text.Append('}');
    }

    /// <summary>A list in its order; a set or a map (whose order may differ between processes) sorted by what each item writes.</summary>
    private static void WriteItems(StringBuilder text, IEnumerable items, Type type, int depth)
    {
        var ordered = items is IList || type.Name.StartsWith("ImmutableSorted", StringComparison.Ordinal) || type.Name.StartsWith("Sorted", StringComparison.Ordinal);
        var written = new List<string>();
        try
        {
            foreach (var item in items)
            {
                var one = new StringBuilder();
                Write(one, item, depth + 1);
                written.Add(one.ToString());
            }
        }
        catch (InvalidOperationException)
        {
            text.Append("default;"); // an ImmutableArray that was never set
            return;
        }
        if (!ordered) written.Sort(StringComparer.Ordinal);
        text.Append('[').Append(written.Count).Append(':');
        foreach (var one in written) text.Append(one);
        text.Append(']');
    }

    /// <summary>Every instance field of <paramref name="type"/> and its base types, by name.</summary>
    private static IEnumerable<FieldInfo> FieldsOf(Type type)
    {
        var fields = new List<FieldInfo>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            fields.AddRange(t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        return fields.OrderBy(f => f.DeclaringType!.FullName + "." + f.Name, StringComparer.Ordinal);
    }
}
