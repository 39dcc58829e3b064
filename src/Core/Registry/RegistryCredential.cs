namespace TinyImage.Core.Registry;

/// <summary>A user name and password (or token) for a registry, and where they were found (for error messages).</summary>
internal sealed record RegistryCredential(string Username, string Password, string Source)
{
    /// <summary>The user name Docker gives an identity (OAuth2 refresh) token: <see cref="Password"/> is then the token.</summary>
    public const string IdentityTokenUser = "<token>";

    /// <summary>Whether <see cref="Password"/> is an identity token, traded for access tokens at the realm by an OAuth2 POST.</summary>
    public bool IsIdentityToken => Username == IdentityTokenUser;

    /// <summary>Printed in place of the password, never the password itself.</summary>
    public override string ToString() => IsIdentityToken ? $"the identity token from {Source}" : $"user '{Username}' from {Source}";
}
