namespace TinyImage.Core.Registry;

/// <summary>A user name and password (or token) for a registry, and where they were found (for error messages).</summary>
internal sealed record RegistryCredential(string Username, string Password, string Source)
{
    /// <summary>Printed in place of the password, never the password itself.</summary>
    public override string ToString() => $"user '{Username}' from {Source}";
}
