using System.Globalization;

namespace TinyImage.Runner;

/// <summary>Human-readable byte counts: "0 B", "812 B", "1.4 kB", "3.2 MB" (decimal units, as Docker prints).</summary>
internal static class Sizes
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 999.95 && unit < units.Length - 1) { value /= 1000; unit++; } // 999.95 would print as "1000.0"
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
