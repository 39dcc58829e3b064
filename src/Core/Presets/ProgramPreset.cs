using System.Text.RegularExpressions;

namespace TinyImage.Core.Presets;

/// <summary>
/// A program whose own data has a standard layout (a row of <see cref="ProgramPresets.All"/>): how its file in the image
/// is recognised, and the directories next to it that it reads at run time.
/// </summary>
/// <param name="Name">The program, in words and as the step names it: "python".</param>
/// <param name="Call">The recipe call that adds its data: <c>.WithPythonStdlib()</c>.</param>
/// <param name="Program">Matches the program's path in the image; its named groups fill the <c>{name}</c>s of the directories.</param>
/// <param name="Describe">What the program is, with <c>{name}</c>s: <c>python {version}</c>.</param>
/// <param name="Directories">What it reads, the first one being its data directory (the one a hint names).</param>
/// <param name="Landmark">A path inside the data directory that shows the data is in the image: <c>encodings/__init__.py</c>.</param>
/// <param name="Example">Where the program usually is, for messages: <c>/usr/bin/python3</c>.</param>
public sealed record ProgramPreset(string Name, string Call, Regex Program, string Describe, IReadOnlyList<PresetDirectory> Directories, string Landmark,
    string Example)
{
    /// <summary>The call's name, as provenance names the step: <c>WithPythonStdlib</c>.</summary>
    public string StepName => Call.TrimStart('.').Split('(')[0];

    /// <summary>The match of <paramref name="imagePath"/> when it is this preset's program, else null.</summary>
    public Match? Recognise(string imagePath) => Program.Match(imagePath) is { Success: true } match ? match : null;

    /// <summary>The data directory of the program <paramref name="match"/> recognised: <c>/usr/lib/python3.11</c>.</summary>
    public string DataDirectory(Match match) => Fill(Directories[0].Candidates[0], match);

    /// <summary>
    /// True when the image has this preset's landmark under <paramref name="dataDirectory"/>: <paramref name="isFile"/> of
    /// it (through the image's links), or, when the directory holds <c>*</c>s (<c>/usr/lib/*/perl-base</c>), one of <paramref name="paths"/>.
    /// </summary>
    public bool HasLandmark(Func<string, bool> isFile, IEnumerable<string> paths, string dataDirectory)
    {
        var landmark = dataDirectory.TrimEnd('/') + "/" + Landmark;
        if (!landmark.Contains('*')) return isFile(landmark);
        var pattern = new FileSystem.PathFilter([], [landmark.TrimStart('/')]);
        return paths.Any(p => pattern.Excludes(p.TrimStart('/')));
    }

    /// <summary><paramref name="template"/> with each <c>{name}</c> replaced by the group of that name in <paramref name="match"/>.</summary>
    public static string Fill(string template, Match match) =>
        Regex.Replace(template, @"\{(?<name>[a-z]+)\}", m => match.Groups[m.Groups["name"].Value].Value);
}
