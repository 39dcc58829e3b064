namespace TinyImage.Core.Elf;

/// <summary>How the loader found a file: which step of glibc's search produced it.</summary>
public enum SearchRule
{
    /// <summary>One of the executables the closure was asked for.</summary>
    Executable,

    /// <summary>The PT_INTERP path, opened by the kernel.</summary>
    Interpreter,

    /// <summary>A DT_NEEDED name containing '/', opened as a path.</summary>
    DirectPath,

    /// <summary>DT_RPATH of the requester or of an object up its loader chain.</summary>
    RPath,

    /// <summary><see cref="ResolverOptions.LibraryPath"/>, standing in for LD_LIBRARY_PATH.</summary>
    LibraryPath,

    /// <summary>DT_RUNPATH of the requester.</summary>
    RunPath,

    /// <summary>A directory of ld.so.conf, standing in for /etc/ld.so.cache (which the image then needs).</summary>
    LdSoConf,

    /// <summary>The loader's built-in default directories.</summary>
    DefaultPath,
}
