using System.Collections.Concurrent;
using System.Net;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Quarantine;

namespace Gateway.Web;

/// <summary>
/// A recipient asks the console for a fresh link: if the address is one of ours and mail is held for it, its
/// digest (with the link) goes to that address through the downstream — only there, so asking for someone
/// else's link gains nothing. At most one per address per <see cref="PerAddress"/> and
/// <see cref="PerClientLimit"/> per client address an hour; the sending happens after the answer, so neither
/// the answer nor its timing says whether mail was held.
/// </summary>
internal sealed class LinkRequests(GatewayOptions options, QuarantineStore quarantine, IDownstream downstream, RecipientLinks links, TimeProvider time)
{
    public static readonly TimeSpan PerAddress = TimeSpan.FromMinutes(10);
    public const int PerClientLimit = 5;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastByAddress = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<IPAddress, (int Count, DateTimeOffset Since)> _byClient = new();

    /// <summary>Whether a digest was started (for tests and logs only; the page never says).</summary>
    public bool Ask(string address, IPAddress client)
    {
        address = address.Trim();
        var now = time.GetUtcNow();
        var counted = _byClient.AddOrUpdate(client, _ => (1, now), (_, old) => now - old.Since > TimeSpan.FromHours(1) ? (1, now) : (old.Count + 1, old.Since));
        var at = address.LastIndexOf('@');
        if (counted.Count > PerClientLimit || at <= 0 || !options.AcceptsDomain(address[(at + 1)..])
            || (_lastByAddress.TryGetValue(address, out var last) && now - last < PerAddress)
            || !quarantine.List().Any(entry => entry.Recipients.Any(recipient => string.Equals(recipient, address, StringComparison.OrdinalIgnoreCase))))
        {
            return false;
        }

        _lastByAddress[address] = now;
        var digest = new QuarantineDigest(quarantine, options.Quarantine.DigestFrom ?? $"postmaster@{options.Hostname}", options.Hostname, links.LinkFor);
        _ = Task.Run(async () =>
        {
            try
            {
                await digest.SendAsync(downstream, DateTimeOffset.MinValue, CancellationToken.None, onlyFor: address);
            }
            catch (Exception exception) when (exception is IOException or TimeoutException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                // The downstream is down: the next daily digest brings the link.
            }
        });
        return true;
    }
}
