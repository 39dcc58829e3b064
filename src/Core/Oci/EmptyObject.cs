namespace TinyImage.Core.Oci;

/// <summary>Serializes as <c>{}</c>, the value of each key in <c>ExposedPorts</c>.</summary>
internal sealed record EmptyObject
{
    public static EmptyObject Instance { get; } = new();
}
