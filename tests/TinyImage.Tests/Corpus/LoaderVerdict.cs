namespace TinyImage.Tests.Corpus;

/// <summary>What the real loader made of an executable.</summary>
public enum LoaderVerdict
{
    /// <summary>Every library was found; <see cref="LoaderOracle.Paths"/> lists what it opened.</summary>
    Loaded,

    /// <summary>No interpreter and no libraries: a static or static-pie executable.</summary>
    Static,

    /// <summary>A library was not found, or ld.so stopped with an error.</summary>
    Failed,
}
