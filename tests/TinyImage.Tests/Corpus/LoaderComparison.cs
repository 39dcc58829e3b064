using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Corpus;

/// <summary>Our resolver's answer for one file held against the real loader's, path for path and real file for real file.</summary>
public static class LoaderComparison
{
    /// <summary>Resolves <paramref name="entry"/> alone: the closure, or the <see cref="TinyImageException"/> (or crash) it failed with.</summary>
    public static (Closure? Closure, Exception? Error) Resolve(LibraryResolver resolver, string entry)
    {
        try
        {
            return (resolver.Resolve([entry]), null);
        }
        catch (Exception e)
        {
            return (null, e);
        }
    }

    /// <summary>
    /// Null when our answer (<paramref name="closure"/> or <paramref name="error"/>) agrees with the
    /// loader's on <paramref name="entry"/>; otherwise a one-line description. Agreeing means: both
    /// fail (and our message names the library ld.so stopped at), both say static, or both load the
    /// same paths, which are the same real files. When <paramref name="rootIsLibrary"/>, ld.so itself
    /// is compared as a real file only: listing a library without PT_INTERP, it shows itself under its
    /// built-in name, while a library's need for it is searched like any other.
    /// </summary>
    public static string? Compare(string entry, LoaderOracle oracle, Closure? closure, Exception? error, HostFiles files, bool rootIsLibrary = false)
    {
        if (error is not null and not TinyImageException)
            return $"{entry}: our resolver crashed with {error.GetType().Name}: {error.Message}";
        if (closure is null)
        {
            if (oracle.Verdict != LoaderVerdict.Failed) return $"{entry}: we fail ({error!.Message}) but the loader {Describe(oracle)}";
            return oracle.FailedName is { } name && !error!.Message.Contains(name, StringComparison.Ordinal)
                ? $"{entry}: we fail ({error.Message}) but the loader stops at {name} ({OneLine(oracle.Output)})"
                : null;
        }

        var ours = closure.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var theirs = oracle.Paths.ToHashSet(StringComparer.Ordinal);
        if (rootIsLibrary && HostRealPath.Of(LoaderOracle.DefaultInterpreter) is { } loader)
        {
            ours.RemoveWhere(p => HostRealPath.Of(p) == loader);
            theirs.RemoveWhere(p => HostRealPath.Of(p) == loader);
        }
        switch (oracle.Verdict)
        {
            case LoaderVerdict.Failed:
                return $"{entry}: the loader fails ({OneLine(oracle.Output)}) but we found [{string.Join(", ", ours)}]";
            case LoaderVerdict.Static:
                return ours.Count == 0 && closure.Roots[0].IsStatic ? null : $"{entry}: static for the loader, but we found [{string.Join(", ", ours)}]";
        }

        if (closure.Roots[0].IsStatic) return $"{entry}: we say static, the loader loads [{string.Join(", ", oracle.Paths)}]";
        var problems = new List<string>();
        if (!ours.SetEquals(theirs))
        {
            problems.Add($"paths: only ours [{string.Join(", ", ours.Except(theirs).Order(StringComparer.Ordinal))}], " +
                         $"only the loader's [{string.Join(", ", theirs.Except(ours).Order(StringComparer.Ordinal))}]");
        }
        var ourReal = closure.Files.Select(f => files.Resolve(f.Path)?.RealPath ?? "(missing) " + f.Path).ToHashSet(StringComparer.Ordinal);
        var loaderReal = oracle.Paths.Select(p => HostRealPath.Of(p) ?? "(missing) " + p).ToHashSet(StringComparer.Ordinal);
        if (!ourReal.SetEquals(loaderReal))
        {
            problems.Add($"real files: only ours [{string.Join(", ", ourReal.Except(loaderReal).Order(StringComparer.Ordinal))}], " +
                         $"only the loader's [{string.Join(", ", loaderReal.Except(ourReal).Order(StringComparer.Ordinal))}]");
        }
        if (closure.Files.Count != closure.Files.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count()) problems.Add("a path is listed twice");
        return problems.Count == 0 ? null : $"{entry}: {string.Join("; ", problems)}";
    }

    private static string Describe(LoaderOracle oracle) => oracle.Verdict switch
    {
        LoaderVerdict.Static => "says it is static",
        _ => $"loads [{string.Join(", ", oracle.Paths.Order(StringComparer.Ordinal))}]",
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" | ");
}
