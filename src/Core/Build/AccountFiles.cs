using System.Text;

namespace TinyImage.Core.Build;

/// <summary>
/// The text of /etc/passwd and /etc/group for a scratch image: root, then the given users (no
/// passwords, no login shell), each with a group of its own gid unless another user already named it.
/// </summary>
public static class AccountFiles
{
    /// <summary>The shell of every account: there is none in a scratch image.</summary>
    public const string Shell = "/sbin/nologin";

    /// <summary>The home directory of a user: /root for root, else /home/NAME.</summary>
    public static string HomeOf(string name, int uid) => uid == 0 ? "/root" : "/home/" + name;

    /// <summary>/etc/passwd: <c>root:x:0:0:root:/root:/sbin/nologin</c> and one line per user.</summary>
    public static string Passwd(IEnumerable<(string Name, int Uid, int Gid)> users)
    {
        var text = new StringBuilder($"root:x:0:0:root:/root:{Shell}\n");
        foreach (var (name, uid, gid) in users.Where(u => u.Uid != 0))
            text.Append($"{name}:x:{uid}:{gid}:{name}:{HomeOf(name, uid)}:{Shell}\n");
        return text.ToString();
    }

    /// <summary>
    /// /etc/group: <c>root:x:0:</c> and one group per distinct gid, named after its first user; nobody's group 65534 is
    /// also <c>nogroup</c>, its name on Debian, which programs built there use by default (nginx's workers: nobody:nogroup).
    /// </summary>
    public static string Group(IEnumerable<(string Name, int Uid, int Gid)> users)
    {
        var text = new StringBuilder("root:x:0:\n");
        var seen = new HashSet<int> { 0 };
        var list = users.ToList();
        foreach (var (name, _, gid) in list)
            if (seen.Add(gid)) text.Append($"{name}:x:{gid}:\n");
        if (list.Any(u => u is { Name: "nobody", Gid: NobodyGid }) && !list.Any(u => u.Name == "nogroup")) text.Append($"nogroup:x:{NobodyGid}:\n");
        return text.ToString();
    }

    private const int NobodyGid = 65534;

    /// <summary>Whether <paramref name="name"/> is a portable user name (useradd's default rule): [a-z_][a-z0-9_-]*, at most 32 characters.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 32 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_') &&
        name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');
}
