using System.Diagnostics;
using System.Text;
using Org.BouncyCastle.Bcpg;
using TinyImage.Core;
using TinyImage.Core.Debian;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

/// <summary>The InRelease check, with gpgv (the tool apt uses) as the oracle on the same files.</summary>
public sealed class InReleaseVerifierTests
{
    private const string Release = "Origin: Test\nCodename: tinytest\n-Dash: starts with a dash\nTrailing: spaces   \nSHA256:\n 0000 1 main/x\n";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_good_signature_verifies_here_and_in_gpgv(bool rsa)
    {
        using var dir = new TempDirectory();
        var key = new TestSigningKey(rsa);
        var keyring = key.WriteKeyring(dir.Combine("k.gpg"));
        var signed = key.SignCleartext(Release);
        File.WriteAllBytes(dir.Combine("InRelease"), signed);

        var text = InReleaseVerifier.Verify(signed, OpenPgpKeyring.Load([keyring]), "InRelease", DateTimeOffset.UtcNow);

        Assert.Equal(Release.Replace("spaces   ", "spaces"), text);
        Assert.Equal(0, Gpgv(keyring, dir.Combine("InRelease")));
    }

    [Theory]
    [InlineData("Codename: tinytest", "Codename: tinytesT")]
    [InlineData("- -Dash: starts", "- -Dash: Starts")]
    [InlineData(" 0000 1 main/x\n", " 0000 1 main/x\n 1111 1 main/y\n")]
    public void A_changed_text_is_refused_here_and_in_gpgv(string find, string replace)
    {
        using var dir = new TempDirectory();
        var key = new TestSigningKey();
        var keyring = key.WriteKeyring(dir.Combine("k.gpg"));
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(key.SignCleartext(Release)).Replace(find, replace));
        File.WriteAllBytes(dir.Combine("InRelease"), tampered);

        Assert.ThrowsAny<TinyImageException>(() => InReleaseVerifier.Verify(tampered, OpenPgpKeyring.Load([keyring]), "InRelease", DateTimeOffset.UtcNow));
        Assert.NotEqual(0, Gpgv(keyring, dir.Combine("InRelease")));
    }

    [Fact]
    public void Text_outside_the_signed_message_is_refused()
    {
        using var dir = new TempDirectory();
        var key = new TestSigningKey();
        var keyring = OpenPgpKeyring.Load([key.WriteKeyring(dir.Combine("k.gpg"))]);
        var signed = Encoding.UTF8.GetString(key.SignCleartext(Release));

        var before = Assert.Throws<TinyImageException>(() => InReleaseVerifier.Verify(Encoding.UTF8.GetBytes("Codename: evil\n" + signed), keyring, "InRelease", DateTimeOffset.UtcNow));
        var after = Assert.Throws<TinyImageException>(() => InReleaseVerifier.Verify(Encoding.UTF8.GetBytes(signed + "Codename: evil\n"), keyring, "InRelease", DateTimeOffset.UtcNow));

        Assert.Contains("does not start with", before.Message);
        Assert.Contains("text after", after.Message);
    }

    [Fact]
    public void A_SHA1_signature_is_refused_as_weak()
    {
        using var dir = new TempDirectory();
        var key = new TestSigningKey();
        var e = Assert.Throws<TinyImageException>(() => InReleaseVerifier.Verify(key.SignCleartext(Release, HashAlgorithmTag.Sha1),
            OpenPgpKeyring.Load([key.WriteKeyring(dir.Combine("k.gpg"))]), "InRelease", DateTimeOffset.UtcNow));
        Assert.Contains("weak hash", e.Message);
    }

    [Fact]
    public void The_machines_Debian_keyring_reads()
    {
        const string keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
        Assert.True(File.Exists(keyring), $"{keyring} is missing: apt-get install debian-archive-keyring");
        OpenPgpKeyring.Load([keyring]);
    }

    private static int Gpgv(string keyring, string file)
    {
        var start = new ProcessStartInfo("gpgv") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "--keyring", keyring, file }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}
