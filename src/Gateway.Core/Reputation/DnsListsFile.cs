using Gateway.Core.Configuration;

namespace Gateway.Core.Reputation;

public enum DnsListKind
{
    /// <summary>The client's address, reversed under the zone (RFC 5782), IPv4 or IPv6 nibbles.</summary>
    Ip,

    /// <summary>Domains from the message: URL hosts, envelope and From domains, HELO and reverse DNS names.</summary>
    Domain,
}

/// <summary>rules/lists.yaml: DNS block and allow lists with what each answer means. Policy, hot-reloaded.</summary>
public sealed class DnsListsFile
{
    public List<DnsListDefinition> Lists { get; init; } = [];

    internal void Validate(ConfigErrors errors)
    {
        for (var i = 0; i < Lists.Count; i++)
        {
            var list = Lists[i];
            var path = $"lists.{i}";
            errors.Require(list.Name.Length > 0 && list.Name.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'), $"{path}.name", "upper case letters, digits and _ (it prefixes the symbols)");
            errors.Require(Uri.CheckHostName(list.Zone) == UriHostNameType.Dns && list.Zone.Contains('.'), $"{path}.zone", $"'{list.Zone}' is not a DNS zone");
            errors.Require(list.RejectAt == DnsListRejectAt.None || list.Kind == DnsListKind.Ip, $"{path}.reject_at", "only ip lists can refuse early (connect or rcpt)");
            foreach (var (code, meaning) in list.Codes)
            {
                errors.Require(IPAddress.TryParse(code, out var address) && address.GetAddressBytes() is [127, ..], $"{path}.codes.{code}", "return codes are 127.x.y.z addresses");
                errors.Require(meaning.Symbol.Length > 0, $"{path}.codes.{code}.symbol", "needs a symbol");
            }

            foreach (var (bit, meaning) in list.Bitmask)
            {
                errors.Require(bit is > 0 and < 256 && (bit & (bit - 1)) == 0, $"{path}.bitmask.{bit}", "bitmask keys are single bits of the last octet (1, 2, 4 ... 128)");
                errors.Require(meaning.Symbol.Length > 0, $"{path}.bitmask.{bit}.symbol", "needs a symbol");
            }
        }
    }
}

public enum DnsListRejectAt
{
    None,

    /// <summary>Before the greeting: 554 5.7.1 instead of 220 (RFC 5321 3.1); the client is told nothing else.</summary>
    Connect,

    /// <summary>At the first RCPT, once per session: the client learns why, and a real sender's MTA logs it.</summary>
    Rcpt,
}

public sealed class DnsListDefinition
{
    public string Name { get; init; } = string.Empty;

    public string Zone { get; init; } = string.Empty;

    public DnsListKind Kind { get; init; } = DnsListKind.Ip;

    /// <summary>Lists are off until an operator turns them on: a fresh install queries nothing it was not told to.</summary>
    public bool Enabled { get; init; }

    /// <summary>Exact answers (127.0.0.2) and what they mean.</summary>
    public Dictionary<string, DnsListMeaning> Codes { get; init; } = [];

    /// <summary>Lists that add bits in the last octet (SURBL style): bit value and meaning.</summary>
    public Dictionary<int, DnsListMeaning> Bitmask { get; init; } = [];

    /// <summary>
    /// For ip lists: <c>connect</c> refuses a listed client instead of greeting it, <c>rcpt</c> at its first
    /// RCPT, both with 554 5.7.1 (postscreen-style, before any content is read); <c>none</c> only scores at
    /// DATA. Errors and allow lists never refuse.
    /// </summary>
    public DnsListRejectAt RejectAt { get; init; } = DnsListRejectAt.None;

    /// <summary>The refusal text; {ip} and {zone} are filled in.</summary>
    public string Message { get; init; } = "Service unavailable; client [{ip}] blocked using {zone}";

    /// <summary>Any other 127.0.0.x answer; without it such an answer is {NAME}_LISTED with weight 0.</summary>
    public DnsListMeaning? Listed { get; init; }

    public IEnumerable<DnsListMeaning> Meanings => Codes.Values.Concat(Bitmask.Values).Append(Listed ?? new DnsListMeaning { Symbol = Name + "_LISTED" });
}

public sealed class DnsListMeaning
{
    public string Symbol { get; init; } = string.Empty;

    /// <summary>Negative for allow lists (DNSWL).</summary>
    public double Score { get; init; }
}
