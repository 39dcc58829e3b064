namespace TinyImage.Tests.Registry;

/// <summary>How a <see cref="LocalRegistry"/> checks who pushes and pulls.</summary>
public enum RegistryAuthMode
{
    /// <summary>Anyone may push and pull.</summary>
    None,

    /// <summary>HTTP Basic against an htpasswd file (bcrypt, made by <c>htpasswd -Bbn</c>).</summary>
    Basic,

    /// <summary>Bearer tokens from a <see cref="TokenIssuer"/> the test serves on 127.0.0.1 (the registry's <c>auth: token</c>).</summary>
    Token,
}
