using TinyImage.Core.Build;

namespace TinyImage.Tests.Needs;

/// <summary>The account names programs built on Debian look up by default.</summary>
public sealed class AccountNamesTests
{
    [Fact]
    public void Nobodys_group_is_also_nogroup_as_on_Debian_where_nginx_looks_for_it()
    {
        Assert.Equal("root:x:0:\nnobody:x:65534:\nnogroup:x:65534:\n", AccountFiles.Group([("nobody", 65534, 65534)]));
        Assert.Equal("root:x:0:\napp:x:1000:\n", AccountFiles.Group([("app", 1000, 1000)]));
        Assert.Equal("root:x:0:\nnobody:x:65534:\nnogroup:x:1001:\n", AccountFiles.Group([("nobody", 65534, 65534), ("nogroup", 1001, 1001)]));
    }
}
