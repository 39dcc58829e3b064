using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TinyImage.Core;
using TinyImage.Core.FileSystem;

namespace TinyImage.Runner;

/// <summary>
/// Compiled recipes on disk, so that an unchanged recipe runs without Roslyn. Under
/// <c>$TINYRUN_CACHE</c>, else <c>$XDG_CACHE_HOME/tinyrun</c>, else <c>~/.cache/tinyrun</c>, a private (0700)
/// directory holds, per recipe path, an index naming the sources it was compiled from (with their
/// SHA-256) and the content-addressed assembly. An entry is used only when every source, the
/// TinyImage and Roslyn builds, the runtime and the assembly's own hash all match; anything else (a damaged
/// index included) is a miss, and the recipe is compiled again. The hash only shows an entry is whole, not who
/// wrote it: entries are trusted because nobody else can write the directory, which is checked on every open.
/// Every file is written (0600) to a temporary name and renamed.
/// </summary>
internal sealed class RecipeCache
{
    private const int FormatVersion = 1;

    private readonly string _directory;
    private readonly string _toolchain;

    private RecipeCache(string directory, string toolchain)
    {
        _directory = directory;
        _toolchain = toolchain;
    }

    /// <summary>Opens (creating if needed) the user's cache directory; refuses one that others could write (see <see cref="PrivateDirectory"/>).</summary>
    public static RecipeCache Open() =>
        new(PrivateDirectory.Ensure(CacheLocation.Root(), "the recipe cache", "set TINYRUN_CACHE to a directory of your own"), Toolchain());

    public string Location => _directory;

    /// <summary>The compiled recipe for <paramref name="fullPath"/> if the cache holds a valid, current one.</summary>
    public CompiledRecipe? TryGet(string fullPath)
    {
        try
        {
            var index = ReadIndex(new FileInfo(IndexPath(fullPath)));
            if (index is null || index.Format != FormatVersion || index.Toolchain != _toolchain) return null;
            var sources = index.Sources.Select(s => new RecipeSource(s.Path, s.Sha256)).ToList();
            if (!sources.All(s => s.IsUnchanged())) return null;
            var assembly = File.ReadAllBytes(Path.Combine(_directory, index.Assembly + ".dll"));
            var pdb = File.ReadAllBytes(Path.Combine(_directory, index.Assembly + ".pdb"));
            if (Hash(assembly, pdb) != index.Assembly) return null; // corrupt or half-written: never run it
            return new CompiledRecipe(assembly, pdb, sources);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="compiled"/> as the entry for <paramref name="fullPath"/>. Failing to store is not an error.</summary>
    public void Put(string fullPath, CompiledRecipe compiled)
    {
        try
        {
            var name = Hash(compiled.Assembly, compiled.Pdb);
            WriteAtomically(Path.Combine(_directory, name + ".dll"), compiled.Assembly);
            WriteAtomically(Path.Combine(_directory, name + ".pdb"), compiled.Pdb);
            var index = new CacheIndex(FormatVersion, _toolchain, name,
                compiled.Sources.Select(s => new CacheSource(s.Path, s.Sha256)).ToList());
            WriteAtomically(IndexPath(fullPath), index.ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"tinyrun: warning: could not store the compiled recipe in {_directory}: {e.Message}");
        }
    }

    /// <summary>
    /// What <paramref name="directory"/> holds of compiled recipes: the recipes (indexes), the bytes of the assemblies
    /// they name, and the assemblies none names (a recompile, after the recipe or tinyrun changed, leaves the one before).
    /// </summary>
    public static (int Recipes, long Bytes, int Unused, long UnusedBytes) Measure(string directory)
    {
        var indexes = IndexesIn(directory).Select(i => i.Parsed).ToList();
        var named = indexes.Select(i => i.Assembly).ToHashSet(StringComparer.Ordinal);
        var all = Assemblies(directory).ToList();
        var unused = all.Where(a => !named.Contains(a.Name)).ToList();
        return (indexes.Count, all.Sum(a => a.Bytes) - unused.Sum(a => a.Bytes), unused.Count, unused.Sum(a => a.Bytes));
    }

    /// <summary>
    /// Removes the indexes of recipes whose file is gone, then the compiled assemblies no index names, once they are a
    /// minute old (a build storing one writes its index right after it); returns how many assemblies and their bytes.
    /// </summary>
    public static (int Removed, long Bytes) RemoveUnused(string directory)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (index, parsed) in IndexesIn(directory))
        {
            if (File.Exists(parsed.Sources[0].Path)) named.Add(parsed.Assembly); // the first source is the recipe
            else index.Delete();
        }
        var (removed, bytes) = (0, 0L);
        foreach (var (name, size, files) in Assemblies(directory))
        {
            if (named.Contains(name) || files.Any(f => DateTime.UtcNow - f.LastWriteTimeUtc < TimeSpan.FromMinutes(1))) continue;
            foreach (var file in files) file.Delete();
            (removed, bytes) = (removed + 1, bytes + size);
        }
        return (removed, bytes);
    }

    /// <summary>The recipe indexes in <paramref name="directory"/> that parse, each with what it says.</summary>
    private static IEnumerable<(FileInfo Index, CacheIndex Parsed)> IndexesIn(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (var index in new DirectoryInfo(directory).EnumerateFiles("*.json"))
        {
            if (ReadIndex(index) is { } parsed) yield return (index, parsed);
        }
    }

    /// <summary>
    /// The index in <paramref name="file"/>; null when it is missing, too long, damaged, or not a regular file (a FIFO
    /// would never end a read, a link could point anywhere).
    /// </summary>
    private static CacheIndex? ReadIndex(FileInfo file) =>
        HostFileStatus.Of(file.FullName) is { Kind: HostFileKind.File } && file.Length <= CacheIndex.MaxBytes
            ? CacheIndex.TryParse(File.ReadAllBytes(file.FullName))
            : null;

    /// <summary>The compiled assemblies in <paramref name="directory"/>: name (the hash), bytes, and files (.dll, .pdb).</summary>
    private static IEnumerable<(string Name, long Bytes, FileInfo[] Files)> Assemblies(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (var dll in new DirectoryInfo(directory).EnumerateFiles("*.dll"))
        {
            var name = Path.GetFileNameWithoutExtension(dll.Name);
            if (name.Length != 64 || !name.All(char.IsAsciiHexDigitLower)) continue;
            var pdb = new FileInfo(Path.ChangeExtension(dll.FullName, ".pdb"));
            FileInfo[] files = pdb.Exists ? [dll, pdb] : [dll];
            yield return (name, files.Sum(f => f.Length), files);
        }
    }

    private string IndexPath(string fullPath) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fullPath)))[..32] + ".json");

    private void WriteAtomically(string path, byte[] bytes)
    {
        var temp = Path.Combine(_directory, $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.Write(bytes);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string Hash(byte[] assembly, byte[] pdb)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(assembly);
        sha.AppendData(pdb);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>What a compiled recipe depends on besides its sources: our assemblies (by MVID), Roslyn's version, the runtime.</summary>
    private static string Toolchain()
    {
        var ours = new[] { typeof(RecipeCache).Assembly, typeof(TinyImage.Dsl.Recipe).Assembly, typeof(TinyImageException).Assembly }
            .Select(a => a.ManifestModule.ModuleVersionId.ToString("N"));
        // Roslyn's version as this runner references it (the version beside it), without loading Roslyn or reading its
        // file: AssemblyName.GetAssemblyName starts System.Reflection.Metadata, about 12 ms of every warm run (issue 10).
        const string Scripting = "Microsoft.CodeAnalysis.CSharp.Scripting";
        var roslyn = Path.Combine(AppContext.BaseDirectory, Scripting + ".dll");
        var roslynVersion = File.Exists(roslyn)
            ? typeof(RecipeCache).Assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == Scripting)?.Version?.ToString() ?? "none"
            : "none";
        return string.Join('/', [.. ours, $"roslyn {roslynVersion}", $"runtime {Environment.Version}"]);
    }
}
