using TinyImage.Core.Build;

namespace TinyImage.Tests.Runtime;

public sealed class AccountFilesTests
{
    [Fact]
    public void Passwd_and_group_hold_root_and_each_user()
    {
        (string, int, int)[] users = [("app", 1000, 1000), ("web", 1001, 1000), ("root", 0, 0)];
        Assert.Equal(
            "root:x:0:0:root:/root:/sbin/nologin\napp:x:1000:1000:app:/home/app:/sbin/nologin\nweb:x:1001:1000:web:/home/web:/sbin/nologin\n",
            AccountFiles.Passwd(users));
        Assert.Equal("root:x:0:\napp:x:1000:\n", AccountFiles.Group(users));
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("_svc-1", true)]
    [InlineData("", false)]
    [InlineData("App", false)]
    [InlineData("1app", false)]
    [InlineData("a:b", false)]
    [InlineData("abcdefghijabcdefghijabcdefghijabc", false)]
    public void User_names_follow_useradds_rule(string name, bool valid) => Assert.Equal(valid, AccountFiles.IsValidName(name));
}
