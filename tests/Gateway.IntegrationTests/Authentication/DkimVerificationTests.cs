using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Dns;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Gateway.IntegrationTests.Authentication;

/// <summary>Messages signed here with MimeKit's DkimSigner, keys made here and published in a loopback DNS server.</summary>
public sealed class DkimVerificationTests : IAsyncLifetime
{
    private LoopbackDnsServer _dns = null!;

    public async Task InitializeAsync() => _dns = await LoopbackDnsServer.StartAsync();

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private static AsymmetricCipherKeyPair RsaKeys(int bits)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), bits));
        return generator.GenerateKeyPair();
    }

    private static string RsaRecord(AsymmetricKeyParameter publicKey) =>
        "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(publicKey).GetEncoded());

    private static MimeMessage NewMessage()
    {
        var message = TestMessages.Create(subject: "signed");
        message.From.Clear();
        message.From.Add(MailboxAddress.Parse("sender@signer.test"));
        return message;
    }

    /// <summary>Signs, then round-trips through bytes as it would cross the wire; <paramref name="tamper"/> edits the bytes.</summary>
    private static async Task<MimeMessage> SignAsync(DkimSigner signer, Func<string, string>? tamper = null)
    {
        var message = NewMessage();
        signer.HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        using var wire = new MemoryStream();
        await message.WriteToAsync(wire);

        // Latin-1 maps bytes to chars one to one, so the edit touches nothing but what it replaces.
        var text = Encoding.Latin1.GetString(wire.ToArray());
        text = tamper?.Invoke(text) ?? text;
        return await MimeMessage.LoadAsync(new MemoryStream(Encoding.Latin1.GetBytes(text)));
    }

    private Task<IReadOnlyList<DkimSignatureResult>> VerifyAsync(MimeMessage message) =>
        new DkimVerification(new DnsClientResolver(_dns.Options(TimeSpan.FromMilliseconds(300))), TimeProvider.System).VerifyAsync(message, CancellationToken.None);

    [Fact(Timeout = 30_000)]
    public async Task A_valid_rsa_signature_passes()
    {
        var keys = RsaKeys(2048);
        _dns.AddTxt("s1._domainkey.signer.test", RsaRecord(keys.Public));

        var result = Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(keys.Private, "signer.test", "s1"))));

        Assert.True(result.Result == AuthResult.Pass, result.Reason);
        Assert.Equal((AuthResult.Pass, "signer.test", "s1"), (result.Result, result.Domain, result.Selector));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_ed25519_signature_passes()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var keys = generator.GenerateKeyPair();
        _dns.AddTxt("ed._domainkey.signer.test", "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(((Ed25519PublicKeyParameters)keys.Public).GetEncoded()));

        var result = Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(keys.Private, "signer.test", "ed", DkimSignatureAlgorithm.Ed25519Sha256))));

        Assert.Equal((AuthResult.Pass, "ed25519-sha256"), (result.Result, result.Algorithm));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_altered_body_fails()
    {
        var keys = RsaKeys(2048);
        _dns.AddTxt("s1._domainkey.signer.test", RsaRecord(keys.Public));

        var message = await SignAsync(new DkimSigner(keys.Private, "signer.test", "s1"), text => text.Replace("Hello from the test.", "Hello from the attacker.", StringComparison.Ordinal));

        Assert.Equal(AuthResult.Fail, Assert.Single(await VerifyAsync(message)).Result);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_altered_signed_header_fails()
    {
        var keys = RsaKeys(2048);
        _dns.AddTxt("s1._domainkey.signer.test", RsaRecord(keys.Public));

        var message = await SignAsync(new DkimSigner(keys.Private, "signer.test", "s1"), text => text.Replace("Subject: signed", "Subject: wire money now", StringComparison.Ordinal));

        Assert.Equal(AuthResult.Fail, Assert.Single(await VerifyAsync(message)).Result);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_revoked_key_is_a_permerror()
    {
        var keys = RsaKeys(2048);
        _dns.AddTxt("s1._domainkey.signer.test", "v=DKIM1; k=rsa; p=");

        var result = Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(keys.Private, "signer.test", "s1"))));

        Assert.Equal(AuthResult.PermError, result.Result);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_key_is_a_permerror_and_dns_trouble_a_temperror()
    {
        var keys = RsaKeys(2048);
        var missing = Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(keys.Private, "signer.test", "nokey"))));
        _dns.AddTimeout("slow._domainkey.signer.test");
        var slow = Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(keys.Private, "signer.test", "slow"))));

        Assert.Equal(AuthResult.PermError, missing.Result);
        Assert.Equal(AuthResult.TempError, slow.Result);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_key_under_1024_bits_fails_as_weak()
    {
        var keys = RsaKeys(768);
        _dns.AddTxt("weak._domainkey.signer.test", RsaRecord(keys.Public));

        var result = Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(keys.Private, "signer.test", "weak"))));

        Assert.Equal(AuthResult.Fail, result.Result);
        Assert.Contains("too weak", result.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Unsigned_mail_has_no_results()
    {
        Assert.Empty(await VerifyAsync(NewMessage()));
    }

    [Fact(Timeout = 60_000)]
    public async Task Only_the_first_signatures_are_verified_however_many_a_message_carries()
    {
        var keys = RsaKeys(1024);
        var message = NewMessage();
        for (var i = 0; i < DkimVerification.MaxSignatures + 3; i++)
        {
            _dns.AddTxt($"s{i}._domainkey.signer.test", RsaRecord(keys.Public));
            new DkimSigner(keys.Private, "signer.test", $"s{i}").Sign(message, [HeaderId.From, HeaderId.Subject]);
        }

        var results = await VerifyAsync(message);

        Assert.Equal(DkimVerification.MaxSignatures, results.Count);
        Assert.All(results, result => Assert.Equal(AuthResult.Pass, result.Result));
        Assert.DoesNotContain(_dns.Queries, query => query.StartsWith($"s0._domainkey", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_key_replaced_in_dns_is_used_at_once_though_parsed_keys_are_kept()
    {
        var (old, current) = (RsaKeys(1024), RsaKeys(1024));
        _dns.AddTxt("rotating._domainkey.signer.test", RsaRecord(old.Public));
        var signedWithOld = await SignAsync(new DkimSigner(old.Private, "signer.test", "rotating"));
        Assert.Equal(AuthResult.Pass, Assert.Single(await VerifyAsync(signedWithOld)).Result);

        _dns.Clear();
        _dns.AddTxt("rotating._domainkey.signer.test", RsaRecord(current.Public));

        Assert.Equal(AuthResult.Fail, Assert.Single(await VerifyAsync(signedWithOld)).Result);
        Assert.Equal(AuthResult.Pass, Assert.Single(await VerifyAsync(await SignAsync(new DkimSigner(current.Private, "signer.test", "rotating")))).Result);
    }

    [Fact]
    public void The_same_record_is_parsed_once()
    {
        var record = RsaRecord(RsaKeys(1024).Public);
        var parses = 0;
        AsymmetricKeyParameter Parse(string text)
        {
            parses++;
            return DkimPublicKeyLocatorBaseAccess.Parse(text);
        }

        var first = DkimKeyCache.GetOrParse(record, Parse);
        var second = DkimKeyCache.GetOrParse(record, Parse);

        Assert.Same(first, second);
        Assert.Equal(1, parses);
    }

    /// <summary>MimeKit's own record parser (protected in its locator base), for the cache test.</summary>
    private sealed class DkimPublicKeyLocatorBaseAccess : DkimPublicKeyLocatorBase
    {
        public static AsymmetricKeyParameter Parse(string record) => GetPublicKey(record);

        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
