using System.Globalization;
using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Needs;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// The text of /etc/passwd and /etc/group for a scratch image: root, then the given users (no
/// passwords, no login shell), each with a group of its own gid unless another user already named it; and the
/// reading of the account files an image holds, whoever wrote them.
/// </summary>
public static class AccountFiles
{
    /// <summary>The largest account file read: a bigger /etc/passwd is not one a container needs.</summary>
    private const int MaxAccountFileBytes = 1 << 20;

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

    /// <summary>
    /// The lines of the image's account file <paramref name="file"/> (/etc/passwd or /etc/group, through the image's
    /// links), each split at ':'; empty when the image has no such file.
    /// </summary>
    public static IReadOnlyList<string[]> Entries(ImageView image, string file)
    {
        if (image.Follow(file) is not { Kind: EntryKind.File } entry) return [];
        var lines = entry.Content is { } content ? Encoding.UTF8.GetString(content).Split('\n')
            : entry.SourcePath is { } source ? RegularFile.ReadAllLines(source, MaxAccountFileBytes) : [];
        return [.. lines.Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.TrimEnd('\r').Split(':'))];
    }

    /// <summary>
    /// The uid and gid <paramref name="owner"/> stands for in <paramref name="image"/>: names looked up in its
    /// /etc/passwd and /etc/group; a user name without a group gets the user's group, a uid without one the same number.
    /// </summary>
    /// <exception cref="TinyImageException">A name the image's account files do not have; the message names the fix.</exception>
    public static (int Uid, int Gid) Resolve(FileOwner owner, ImageView image)
    {
        int uid, gid;
        if (FileOwner.IsNumber(owner.User)) (uid, gid) = (Number(owner.User), Number(owner.User));
        else if (Entries(image, "/etc/passwd").FirstOrDefault(f => f.Length >= 4 && f[0] == owner.User && FileOwner.IsNumber(f[2]) && FileOwner.IsNumber(f[3])) is { } user)
            (uid, gid) = (Number(user[2]), Number(user[3]));
        else
            throw new TinyImageException($"owner \"{owner}\": the image has no passwd entry for {owner.User}; " +
                                         (owner.User == "nobody" ? "add .WithPasswd() (root and nobody)" : $"add .WithUser(\"{owner.User}\", UID)") +
                                         " (before or after this step) or use numbers, owner: \"UID:GID\"");
        if (owner.Group is not { } group) return (uid, gid);
        if (FileOwner.IsNumber(group)) return (uid, Number(group));
        return Entries(image, "/etc/group").FirstOrDefault(f => f.Length >= 3 && f[0] == group && FileOwner.IsNumber(f[2])) is { } entry
            ? (uid, Number(entry[2]))
            : throw new TinyImageException($"owner \"{owner}\": the image has no group entry for {group}; " +
                                           $"add .WithUser(\"{group}\", UID) to make one, or use a number, owner: \"{owner.User}:GID\"");
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
