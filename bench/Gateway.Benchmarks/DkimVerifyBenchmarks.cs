using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Core.Authentication.Dkim;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Gateway.Benchmarks;

/// <summary>
/// One rsa-sha256 DKIM signature (2048-bit key, relaxed/relaxed) on a 6 KB newsletter, verified by MimeKit's
/// DkimVerifier (BouncyCastle SHA-256 and BigInteger) against the gateway's .NET-crypto path (DkimFastPath), with the
/// key already parsed, as the key cache has it: what the profile with DNS and TLS showed as the largest item (issue 37).
/// dotnet run -c Release --project bench/Gateway.Benchmarks -- --filter '*DkimVerify*'
/// </summary>
[MemoryDiagnoser]
public class DkimVerifyBenchmarks
{
    private byte[] _raw = [];
    private MimeMessage _message = null!;
    private Header _signature = null!;
    private Dictionary<string, string> _tags = [];
    private RsaKeyParameters _key = null!;
    private DkimVerifier _verifier = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), 2048));
        var keys = generator.GenerateKeyPair();
        _key = (RsaKeyParameters)keys.Public;

        var body = new StringBuilder();
        for (var i = 0; i < 80; i++)
        {
            body.Append("Our autumn collection is here: jackets, boots and   scarves for the cold days ahead.\r\n");
        }

        var source = "From: Shop <news@shop.example>\r\nTo: user@example.test\r\nSubject: Autumn collection\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
            + "Message-ID: <n1@shop.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(source)));
        new DkimSigner(keys.Private, "shop.example", "s1") { HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed, BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed }
            .Sign(message, ["From", "To", "Subject", "Date", "Message-ID"]);
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        _raw = stream.ToArray();
        _message = MimeMessage.Load(new MemoryStream(_raw));
        _signature = _message.Headers[_message.Headers.IndexOf(HeaderId.DkimSignature)];
        _tags = DkimTags.Parse(_signature.Value);
        _verifier = new DkimVerifier(new OneKey(_key));
        if (!_verifier.Verify(_message, _signature) || !DotNetCrypto())
        {
            throw new InvalidOperationException("the benchmark's signature does not verify");
        }
    }

    [Benchmark(Baseline = true)]
    public bool MimeKitBouncyCastle() => _verifier.Verify(_message, _signature);

    [Benchmark]
    public bool DotNetCrypto() => DkimFastPath.Read(_raw, _message) is { } raw && DkimFastPath.Verifies(raw, 0, _tags, _key);

    private sealed class OneKey(AsymmetricKeyParameter key) : IDkimPublicKeyLocator
    {
        public AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) => key;

        public Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) => Task.FromResult(key);
    }
}
