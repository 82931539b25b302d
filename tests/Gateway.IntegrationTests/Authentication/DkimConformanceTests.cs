using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Arc;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Dns;
using MimeKit;

namespace Gateway.IntegrationTests.Authentication;

/// <summary>
/// The DKIM and ARC vectors in ../shared/conformance/dkim, keys served by a real DNS server on loopback.
/// mail-auth's files are DNS lines, a blank line, then the message (LF, to be read as CRLF).
/// </summary>
public sealed class DkimConformanceTests
{
    private static readonly string Folder = Path.Combine(RepositoryRoot.Shared, "conformance", "dkim");

    private static async Task<(LoopbackDnsServer Dns, MimeMessage Message)> LoadAsync(string path) =>
        await LoadRawAsync(path) is var (dns, message, _) ? (dns, message) : default;

    private static async Task<(LoopbackDnsServer Dns, MimeMessage Message, byte[] Raw)> LoadRawAsync(string path)
    {
        var text = File.ReadAllText(path);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var dns = await LoopbackDnsServer.StartAsync();
        foreach (var line in text[..split].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ');
            dns.AddTxt(line[..space], line[(space + 1)..]);
        }

        var raw = Encoding.UTF8.GetBytes(text[(split + 2)..].Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        return (dns, await MimeMessage.LoadAsync(new MemoryStream(raw)), raw);
    }

    public static TheoryData<string> DkimVectors() => Vectors("dkim");

    public static TheoryData<string> ArcVectors() => Vectors("arc");

    /// <summary>The suite's files, or one placeholder when ../shared is not beside the clone (the test then skips).</summary>
    private static TheoryData<string> Vectors(string kind) => Directory.Exists(Path.Combine(Folder, "mail-auth", kind))
        ? [.. Directory.GetFiles(Path.Combine(Folder, "mail-auth", kind), "*.txt").Order(StringComparer.Ordinal).Select(path => Path.GetFileName(path))]
        : ["(suite missing)"];

    [SkippableTheory(Timeout = 30_000)]
    [MemberData(nameof(DkimVectors))]
    public async Task Mail_auth_dkim_vectors_verify(string file)
    {
        SharedData.Require("conformance/dkim/mail-auth/dkim");
        var (dns, message) = await LoadAsync(Path.Combine(Folder, "mail-auth", "dkim", file));
        await using var _ = dns;
        var verification = new DkimVerification(new DnsClientResolver(dns.Options()), new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1667843664)));

        var results = await verification.VerifyAsync(message, CancellationToken.None);

        Assert.True(results[^1].Result == AuthResult.Pass, $"{results[^1].Result}: {results[^1].Reason}");
    }

    /// <summary>The .NET-crypto path (DkimFastPath) on the raw vectors: for every rsa-sha256 signature it takes, the same answer as MimeKit's.</summary>
    [SkippableTheory(Timeout = 30_000)]
    [MemberData(nameof(DkimVectors))]
    public async Task Mail_auth_dkim_vectors_give_the_fast_path_the_answer_mimekit_gives(string file)
    {
        SharedData.Require("conformance/dkim/mail-auth/dkim");
        var (dns, message, raw) = await LoadRawAsync(Path.Combine(Folder, "mail-auth", "dkim", file));
        await using var _ = dns;
        var locator = new DnsDkimPublicKeyLocator(new DnsClientResolver(dns.Options()));
        var signatures = message.Headers.Where(header => header.Id == HeaderId.DkimSignature).ToList();
        var compared = 0;
        for (var index = 0; index < signatures.Count; index++)
        {
            var tags = DkimTags.Parse(signatures[index].Value);
            if (!tags.GetValueOrDefault("a", string.Empty).Equals("rsa-sha256", StringComparison.OrdinalIgnoreCase) || tags.ContainsKey("l"))
            {
                continue;
            }

            var key = (Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters)await locator.LocatePublicKeyAsync("dns/txt", tags["d"], tags["s"]);
            var mimeKit = await new MimeKit.Cryptography.DkimVerifier(locator).VerifyAsync(message, signatures[index]);
            Assert.Equal(mimeKit, DkimFastPath.Read(raw, message) is { } read && DkimFastPath.Verifies(read, index, tags, key));
            compared++;
        }

        Skip.If(compared == 0, "no rsa-sha256 signature without l= in this vector");
    }

    [SkippableTheory(Timeout = 30_000)]
    [MemberData(nameof(ArcVectors))]
    public async Task Mail_auth_arc_vectors_verify(string file)
    {
        SharedData.Require("conformance/dkim/mail-auth/arc");
        var (dns, message) = await LoadAsync(Path.Combine(Folder, "mail-auth", "arc", file));
        await using var _ = dns;
        var resolver = new DnsClientResolver(dns.Options());

        var arc = await new ArcVerification(resolver).VerifyAsync(message, CancellationToken.None);
        var dkim = await new DkimVerification(resolver, new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1667843664))).VerifyAsync(message, CancellationToken.None);

        Assert.Equal(AuthResult.Pass, arc.Result);
        Assert.Contains(dkim, result => result.Result == AuthResult.Pass);
    }

    [SkippableFact(Timeout = 30_000)]
    public async Task Rfc8463_example_passes_with_both_its_ed25519_and_rsa_signatures()
    {
        SharedData.Require("conformance/dkim/dkimpy");
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("brisbane._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        dns.AddTxt("test._domainkey.football.example.com", File.ReadAllText(Path.Combine(Folder, "dkimpy", "test.txt")).Trim());
        var message = await MimeMessage.LoadAsync(Path.Combine(Folder, "dkimpy", "rfc6376.signed.msg"));

        var results = await new DkimVerification(new DnsClientResolver(dns.Options()), TimeProvider.System).VerifyAsync(message, CancellationToken.None);

        Assert.Equal(2, results.Count);
        Assert.All(results, result => Assert.Equal(AuthResult.Pass, result.Result));
        Assert.Equal(["ed25519-sha256", "rsa-sha256"], results.Select(result => result.Algorithm));
        Assert.All(results, result => Assert.Equal("football.example.com", result.Domain));
    }
}
