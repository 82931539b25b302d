using Gateway.Core.Authentication.Dkim;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Gateway.Core.Tests.Authentication;

/// <summary>
/// The .NET-crypto path for rsa-sha256 (DkimFastPath) against MimeKit's own signer and verifier: every pass
/// MimeKit gives on these messages is a pass here too, and every tampered copy is no pass (MimeKit then decides).
/// </summary>
public sealed class DkimFastPathTests
{
    private static readonly AsymmetricCipherKeyPair Keys = Generate();

    private static AsymmetricCipherKeyPair Generate()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), 2048));
        return generator.GenerateKeyPair();
    }

    private static RsaKeyParameters PublicKey => (RsaKeyParameters)Keys.Public;

    public static TheoryData<DkimCanonicalizationAlgorithm, DkimCanonicalizationAlgorithm, string> Shapes()
    {
        var bodies = new[]
        {
            "Plain text.\r\n",
            "  Leading  and   inner \t white space, trailing too  \t\r\n\r\nA second paragraph.\r\n\r\n\r\n\r\n",
            "",
            "\r\n\r\n",
            "No final line end",
            "Lines\r\n \r\n\t\r\nwith white-space-only lines between\r\n",
        };
        var data = new TheoryData<DkimCanonicalizationAlgorithm, DkimCanonicalizationAlgorithm, string>();
        foreach (var header in new[] { DkimCanonicalizationAlgorithm.Simple, DkimCanonicalizationAlgorithm.Relaxed })
        {
            foreach (var body in new[] { DkimCanonicalizationAlgorithm.Simple, DkimCanonicalizationAlgorithm.Relaxed })
            {
                foreach (var text in bodies)
                {
                    data.Add(header, body, text);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task What_mimekit_signs_passes_here_and_in_mimekit(DkimCanonicalizationAlgorithm header, DkimCanonicalizationAlgorithm body, string text)
    {
        var raw = await SignAsync(header, body, text);

        Assert.True(await MimeKitPassesAsync(raw));
        Assert.True(Verify(raw));
    }

    [Theory]
    [InlineData("Plain text.", "Plain text!")]
    [InlineData("Subject: Folded\r\n  subject line", "Subject: Folded\r\n  subject lime")]
    [InlineData("From: Sender <sender@signer.test>", "From: Sender <evil@signer.test>")]
    public async Task A_tampered_copy_is_no_pass(string original, string tampered)
    {
        var raw = await SignAsync(DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed, "Plain text.\r\n");
        var text = Encoding.Latin1.GetString(raw);
        Assert.Contains(original, text, StringComparison.Ordinal);

        Assert.False(Verify(Encoding.Latin1.GetBytes(text.Replace(original, tampered, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task A_from_added_above_the_signed_one_does_not_change_what_is_verified_the_bottom_one_is()
    {
        var raw = await SignAsync(DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed, "Plain text.\r\n");
        var withExtra = Encoding.Latin1.GetBytes("From: Evil <evil@attacker.test>\r\n" + Encoding.Latin1.GetString(raw));

        // RFC 6376 5.4.2: the bottom-most From is the signed one, as MimeKit reads it too; DMARC's own check of
        // several From fields is elsewhere. Both verifiers agree.
        Assert.Equal(await MimeKitPassesAsync(withExtra), Verify(withExtra));
    }

    [Theory]
    [InlineData("l=5; ")]
    [InlineData("a=rsa-sha1; ")]
    public async Task What_this_path_does_not_take_is_left_to_mimekit(string extraTag)
    {
        var raw = await SignAsync(DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed, "Plain text.\r\n");
        var message = await MimeMessage.LoadAsync(new MemoryStream(raw));
        var tags = DkimTags.Parse(message.Headers[HeaderId.DkimSignature]!);
        foreach (var (name, value) in DkimTags.Parse(extraTag))
        {
            tags[name] = value;
        }

        Assert.False(DkimFastPath.Verifies(DkimFastPath.Read(raw, message)!, 0, tags, PublicKey));
    }

    [Fact]
    public async Task A_bare_line_feed_anywhere_is_left_to_mimekit()
    {
        var raw = await SignAsync(DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed, "Plain text.\r\n");
        var bare = Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(raw).Replace("Plain text.\r\n", "Plain text.\n", StringComparison.Ordinal));

        Assert.False(Verify(bare));
    }

    [Fact]
    public async Task A_header_mimekit_reads_differently_is_left_to_mimekit()
    {
        var raw = await SignAsync(DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed, "Plain text.\r\n");
        var message = await MimeMessage.LoadAsync(new MemoryStream(raw));
        Assert.NotNull(DkimFastPath.Read(raw, message));

        // A header line without a colon: MimeKit ends or skips there, a plain field reader would not.
        var odd = Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(raw).Replace("To: user@example.test\r\n", "To: user@example.test\r\nno colon on this line\r\n", StringComparison.Ordinal));
        var oddMessage = await MimeMessage.LoadAsync(new MemoryStream(odd));
        Assert.Null(DkimFastPath.Read(odd, oddMessage));
    }

    private static bool Verify(byte[] raw)
    {
        var message = MimeMessage.Load(new MemoryStream(raw));
        return DkimFastPath.Read(raw, message) is { } read && DkimFastPath.Verifies(read, 0, DkimTags.Parse(message.Headers[HeaderId.DkimSignature]!), PublicKey);
    }

    private static async Task<bool> MimeKitPassesAsync(byte[] raw)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(raw));
        return await new DkimVerifier(new OneKey(PublicKey)).VerifyAsync(message, message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)]);
    }

    private static async Task<byte[]> SignAsync(DkimCanonicalizationAlgorithm header, DkimCanonicalizationAlgorithm body, string text)
    {
        var source = "From: Sender <sender@signer.test>\r\nTo: user@example.test\r\nSubject: Folded\r\n  subject line\r\n"
            + "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@signer.test>\r\nX-Extra:   spaced  :   value  \r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text;
        var message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.ASCII.GetBytes(source)));
        var signer = new DkimSigner(Keys.Private, "signer.test", "s1") { HeaderCanonicalizationAlgorithm = header, BodyCanonicalizationAlgorithm = body };
        signer.Sign(message, ["From", "To", "Subject", "Date", "Message-ID", "X-Extra"]);
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var stream = new MemoryStream();
        await message.WriteToAsync(options, stream);
        return stream.ToArray();
    }

    private sealed class OneKey(AsymmetricKeyParameter key) : IDkimPublicKeyLocator
    {
        public AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) => key;

        public Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) => Task.FromResult(key);
    }
}
