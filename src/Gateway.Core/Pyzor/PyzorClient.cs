using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Core.Pyzor;

/// <summary>What a Pyzor server said of a digest: how often it was reported as spam, and how often whitelisted.</summary>
public sealed record PyzorAnswer(int Code, string Diag, int Count, int WhitelistCount)
{
    public bool IsOk => Code == 200;
}

/// <summary>
/// Pyzor's protocol (version 2.1, as pyzor/client.py speaks it): one UDP datagram of RFC 822-style header lines per
/// request — Op, Op-Digest, Thread, PV, User, Time and Sig, signed for the anonymous account (an empty key) — and
/// one datagram back with Code, Diag, Count and WL-Count. Answers of another thread are ignored (a late answer to
/// an earlier request, or a forgery); no answer within the timeout is an exception, never a guess.
/// </summary>
public sealed class PyzorClient(IPEndPoint server, TimeSpan timeout)
{
    private const string ProtocolVersion = "2.1";
    private const string User = "anonymous";
    private static readonly string HashedKey = Hex(SHA1.HashData(Encoding.UTF8.GetBytes($"{User}:")));

    public IPEndPoint Server => server;

    /// <summary>A client per configured server, in the configured order; none when Pyzor is off.</summary>
    public static IReadOnlyList<PyzorClient> For(Configuration.PyzorOptions options) =>
        options.IsEnabled ? [.. options.EndPoints().Select(endPoint => new PyzorClient(endPoint, options.Timeout))] : [];

    public Task<PyzorAnswer> CheckAsync(string digest, CancellationToken cancellationToken) => AskAsync("check", digest, cancellationToken);

    /// <summary>Reports a digest as spam (what `gateway learn spam` does when Pyzor is configured).</summary>
    public Task<PyzorAnswer> ReportAsync(string digest, CancellationToken cancellationToken) => AskAsync("report", digest, cancellationToken, spec: "20,3,60,3");

    private async Task<PyzorAnswer> AskAsync(string op, string digest, CancellationToken cancellationToken, string? spec = null)
    {
        var thread = RandomNumberGenerator.GetInt32(1024, 65536);
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Op: {op}\n")
            .Append(CultureInfo.InvariantCulture, $"Op-Digest: {digest}\n");
        if (spec is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Op-Spec: {spec}\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"Thread: {thread}\nPV: {ProtocolVersion}\nUser: {User}\nTime: {time}");
        var signed = head.ToString();
        var inner = SHA1.HashData(Encoding.UTF8.GetBytes(signed));
        var signature = Hex(SHA1.HashData([.. inner, .. Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $":{time}:{HashedKey}"))]));
        var request = Encoding.UTF8.GetBytes($"{signed}\nSig: {signature}\n\n");

        using var socket = new UdpClient(server.AddressFamily);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.SendAsync(request, server, deadline.Token);
            while (true)
            {
                var received = await socket.ReceiveAsync(deadline.Token);
                if (received.RemoteEndPoint.Equals(server) && Parse(Encoding.UTF8.GetString(received.Buffer)) is { } fields
                    && fields.GetValueOrDefault("Thread") == thread.ToString(CultureInfo.InvariantCulture))
                {
                    return new PyzorAnswer(Number(fields, "Code"), fields.GetValueOrDefault("Diag") ?? string.Empty, Number(fields, "Count"), Number(fields, "WL-Count"));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"pyzor {server}: no answer within {timeout.TotalSeconds:0.#} s");
        }
    }

    private static Dictionary<string, string> Parse(string packet) =>
        packet.Split('\n').Select(line => line.TrimEnd('\r')).TakeWhile(line => line.Length > 0)
            .Select(line => line.Split(':', 2)).Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0].Trim(), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(group => group.Key, group => group.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);

    private static int Number(Dictionary<string, string> fields, string name) =>
        int.TryParse(fields.GetValueOrDefault(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
