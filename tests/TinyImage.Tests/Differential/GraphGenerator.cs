namespace TinyImage.Tests.Differential;

/// <summary>
/// Random dependency graphs for the loader's rules, reproducible from (seed, index): several levels
/// of libraries needing each other (cycles included); RPATH, RUNPATH or both on one object, with
/// absolute, <c>$ORIGIN</c>-relative (<c>$ORIGIN/../lib</c> chains), <c>$LIB</c>, <c>$PLATFORM</c>,
/// missing and system directories; DF_1_NODEFLIB on libraries and executables; several copies of a
/// name in different directories and hwcaps subdirectories; files whose SONAME is another name;
/// libraries without SONAME; names no file has; DT_NEEDED paths with <c>$ORIGIN</c>; symlinks to
/// libraries in other directories; and wrong-class, wrong-machine and non-ELF decoys.
/// </summary>
public static class GraphGenerator
{
    /// <summary>The most library names one graph uses (libtg0.so ...); one more name is needed but never built.</summary>
    public const int MaxNames = 7;

    private static readonly string[] LibraryDirectories =
        ["lib", "lib64", "app/lib", "opt/a", "opt/b", "deep/er/lib", "x/lib/x86_64-linux-gnu", "p/x86_64"];

    private static readonly string[] ExecutableDirectories = ["bin", "app/bin", "deep/er/bin", "x/bin"];

    /// <summary>Subdirectories glibc 2.36 probes on x86_64 before the directory itself (the v2 level every x86-64 CPU in use has).</summary>
    private static readonly string[] Subdirectories = ["glibc-hwcaps/x86-64-v2", "tls", "x86_64"];

    private static readonly string[] SystemNames = ["libc.so.6", "libm.so.6"];

    private static readonly string[] SystemDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"];

    public static string Name(int k) => $"libtg{k}.so";

    /// <summary>True when <paramref name="path"/> is in a hwcaps or legacy subdirectory of a library directory.</summary>
    public static bool IsInSubdirectory(string path) =>
        Subdirectories.Any(s => LibraryDirectories.Any(d => Path.GetDirectoryName(path) == d + "/" + s));

    /// <summary>DT_NEEDED strings that are paths relative to the requester's $ORIGIN.</summary>
    private static string OriginName(int k, bool parent) => parent ? $"$ORIGIN/../lib/{Name(k)}" : $"$ORIGIN/{Name(k)}";

    /// <summary>Every DT_NEEDED string a graph can contain: the builder makes one link stub for each.</summary>
    public static IReadOnlyList<string> AllNeededNames { get; } =
    [
        .. Enumerable.Range(0, MaxNames + 1).Select(Name),
        .. SystemNames,
        .. Enumerable.Range(0, 3).SelectMany(k => new[] { OriginName(k, false), OriginName(k, true) }),
    ];

    /// <summary>The most objects a graph has (ids are 0 to this, exclusive), for the builder's precompiled id objects.</summary>
    public const int MaxObjects = 3 * MaxNames + 2;

    public static DependencyGraph Generate(int seed, int index, string directory)
    {
        var random = new Random(unchecked(seed * 100_003 + index));
        var names = random.Next(3, MaxNames + 1);
        var taken = new HashSet<string>(StringComparer.Ordinal);

        // Where files go first, so that search paths can name the directories that hold what an object needs.
        var placed = new List<(string Path, string? Soname, bool IsExecutable)>();
        for (var k = 0; k < names; k++)
        {
            var roll = random.Next(100);
            var copies = roll < 3 ? 0 : roll < 65 ? 1 : roll < 90 ? 2 : 3;
            for (var c = 0; c < copies; c++)
            {
                var dir = Pick(random, LibraryDirectories);
                if (random.Next(100) < 12) dir += "/" + Pick(random, Subdirectories);
                var path = dir + "/" + Name(k);
                if (!taken.Add(path)) continue;
                var soname = random.Next(100) switch
                {
                    < 8 => null,
                    < 18 => Name(random.Next(names)),
                    _ => Name(k),
                };
                placed.Add((path, soname, false));
            }
        }
        for (var e = random.Next(1, 3); e > 0; e--)
        {
            var path = Pick(random, ExecutableDirectories) + $"/app{e}";
            if (taken.Add(path)) placed.Add((path, null, true));
        }

        var directories = placed.Where(p => !p.IsExecutable)
            .ToLookup(p => Path.GetFileName(p.Path), p => Path.GetDirectoryName(p.Path)!, StringComparer.Ordinal);
        var objects = placed.Select((p, id) => Object(random, directory, p.Path, id, p.Soname, names, p.IsExecutable, directories)).ToList();

        var links = new List<(string, string)>();
        var libraries = objects.Where(o => !o.IsExecutable).ToList();
        if (libraries.Count > 0 && random.Next(100) < 20)
        {
            var target = libraries[random.Next(libraries.Count)];
            var path = Pick(random, LibraryDirectories) + "/" + Name(random.Next(names));
            if (taken.Add(path))
                links.Add((path, Path.GetRelativePath(Path.GetDirectoryName(path)!, target.Path)));
        }

        var decoys = new List<(string, DecoyKind)>();
        for (var d = random.Next(3); d > 0; d--)
        {
            var path = Pick(random, LibraryDirectories) + "/" + Name(random.Next(names));
            var kind = random.Next(100) switch { < 45 => DecoyKind.WrongClass, < 90 => DecoyKind.WrongMachine, _ => DecoyKind.NotElf };
            if (taken.Add(path)) decoys.Add((path, kind));
        }

        return new DependencyGraph { Index = index, Directory = directory, Objects = objects, Links = links, Decoys = decoys };
    }

    private static GraphObject Object(Random random, string graph, string path, int id, string? soname, int names, bool isExecutable,
        ILookup<string, string> directories)
    {
        var dir = Path.GetDirectoryName(path)!;
        var needed = new List<string>();
        for (var n = isExecutable ? random.Next(1, 4) : random.Next(0, 3); n > 0; n--)
        {
            var roll = random.Next(100);
            var name = roll switch
            {
                < 85 => Name(random.Next(names)),
                < 87 => Name(names), // never built: a missing library
                < 94 => Pick(random, SystemNames),
                _ => OriginName(random.Next(Math.Min(3, names)), random.Next(2) == 0),
            };
            if (!needed.Contains(name)) needed.Add(name);
        }

        IReadOnlyList<string> rpath = [], runpath = [];
        var tags = random.Next(100);
        if (tags >= 12)
        {
            var first = SearchPath(random, graph, dir, needed, directories);
            if (tags < 50) rpath = first;
            else if (tags < 82) runpath = first;
            else
            {
                rpath = first;
                runpath = SearchPath(random, graph, dir, needed, directories);
            }
        }

        return new GraphObject
        {
            Path = path, Id = id, IsExecutable = isExecutable, Soname = soname, Needed = needed,
            RPath = rpath, RunPath = runpath, NoDefaultLib = random.Next(100) < (isExecutable ? 20 : 15),
        };
    }

    /// <summary>
    /// A search path as an object in <paramref name="dir"/> could have: for most of what it needs, a
    /// directory holding a copy (mostly the parent of a hwcaps subdirectory, which the loader probes),
    /// absolute or through $ORIGIN; and, anywhere in it, other directories: of the graph, missing,
    /// with $LIB or $PLATFORM, or the system's.
    /// </summary>
    private static List<string> SearchPath(Random random, string graph, string dir, IReadOnlyList<string> needed, ILookup<string, string> directories)
    {
        var elements = new List<string>();
        foreach (var name in needed)
        {
            var copies = directories[name].ToList();
            if (copies.Count == 0 || random.Next(100) >= 95) continue;
            var target = Pick(random, copies);
            if (Subdirectories.FirstOrDefault(s => target.EndsWith("/" + s, StringComparison.Ordinal)) is { } sub && random.Next(100) < 80)
                target = target[..^(sub.Length + 1)];
            elements.Add(random.Next(100) < 40 ? graph + "/" + target : Origin(random, dir, target));
        }
        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var element = random.Next(100) switch
            {
                < 25 => graph + "/" + Pick(random, LibraryDirectories),
                < 40 => Origin(random, dir, Pick(random, LibraryDirectories)),
                < 50 => "$ORIGIN/../lib",
                < 60 => graph + "/x/$LIB",
                < 66 => "$ORIGIN/../$LIB",
                < 74 => graph + "/p/$PLATFORM",
                < 85 => graph + "/nowhere",
                _ => Pick(random, SystemDirectories),
            };
            elements.Insert(random.Next(elements.Count + 1), element);
        }
        if (elements.Count == 0) elements.Add(graph + "/nowhere");
        return elements.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary><paramref name="target"/> relative to <paramref name="dir"/> through $ORIGIN (sometimes braced).</summary>
    private static string Origin(Random random, string dir, string target)
    {
        var token = random.Next(5) == 0 ? "${ORIGIN}" : "$ORIGIN";
        var relative = Path.GetRelativePath(dir, target);
        return relative == "." ? token : token + "/" + relative;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
