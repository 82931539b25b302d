namespace Gateway.Core.Configuration;

/// <summary>The process configuration, bound from gateway.yaml (snake_case keys). Read once at start.</summary>
public sealed record GatewayOptions
{
    /// <summary>Our name in the greeting, EHLO, Received headers and (by default) Authentication-Results.</summary>
    public string Hostname { get; init; } = "gateway.localdomain";

    public List<string> Listen { get; init; } = ["127.0.0.1:2525"];

    /// <summary>
    /// Trust a PROXY protocol v1 line (HAProxy, cloud load balancers) for the client address. Off by
    /// default: then a PROXY line from a client changes nothing, so nobody can claim another address.
    /// </summary>
    public bool ProxyProtocol { get; init; }

    /// <summary>
    /// The load balancers' networks (CIDR) whose PROXY header is believed; required with proxy_protocol.
    /// A connection from anywhere else is taken as a direct client: its TCP address is the client's, so
    /// nobody outside these networks can claim another address with a PROXY line of their own.
    /// </summary>
    public List<string> ProxyProtocolFrom { get; init; } = [];

    [YamlDotNet.Serialization.YamlIgnore]
    public IReadOnlyList<IPNetwork> ProxyProtocolNetworks => [.. ProxyProtocolFrom.Select(text => IPNetwork.Parse(text))];

    /// <summary>Recipient domains we accept mail for; every other recipient is relay-denied.</summary>
    public List<string> Domains { get; init; } = [];

    /// <summary>
    /// Our domains whose recipients may carry routing in the local part ('%', '!', a quoted '@'), for a
    /// downstream that really routes such mail on purpose. Empty by default: such recipients get 550 5.7.1,
    /// as with Postfix's allow_untrusted_routing = no, since a downstream that trusts us would relay them.
    /// </summary>
    public List<string> AllowUntrustedRouting { get; init; } = [];

    public string? AuthservId { get; init; }

    public GatewayMode Mode { get; init; } = GatewayMode.Enforce;

    public DownstreamOptions Downstream { get; init; } = new();

    public LimitsOptions Limits { get; init; } = new();

    public DnsOptions Dns { get; init; } = new();

    /// <summary>The policy folder (actions.yaml, symbols.yaml, rules); relative to the config file.</summary>
    public string Rules { get; init; } = "rules";

    public MetricsOptions Metrics { get; init; } = new();

    public TlsOptions Tls { get; init; } = new();

    public AuthenticationOptions Authentication { get; init; } = new();

    public ClassifierOptions Classifier { get; init; } = new();

    public LoggingOptions Logging { get; init; } = new();

    public StateOptions State { get; init; } = new();

    public QuarantineOptions Quarantine { get; init; } = new();

    public GreylistingOptions Greylisting { get; init; } = new();

    public List<RateLimitOptions> RateLimits { get; init; } = [];

    public LearningOptions Learning { get; init; } = new();

    public AntivirusOptions Antivirus { get; init; } = new();

    public HistoryOptions History { get; init; } = new();

    public WebOptions Web { get; init; } = new();

    public SenderListsOptions SenderLists { get; init; } = new();

    public PyzorOptions Pyzor { get; init; } = new();

    public FuzzyOptions Fuzzy { get; init; } = new();

    public DmarcReportsOptions DmarcReports { get; init; } = new();

    /// <summary>Whether anything needs the state store at all.</summary>
    public bool UsesState => Greylisting.Enabled || RateLimits.Count > 0 || Learning.Enabled || SenderLists.Store == SharedStore.Redis || (History.Enabled && History.Store == SharedStore.Redis) || DmarcReports.Enabled;

    /// <summary>The folder relative paths (tls files) are resolved against: the config file's folder.</summary>
    [YamlDotNet.Serialization.YamlIgnore]
    public string BaseFolder { get; private set; } = Environment.CurrentDirectory;

    public string EffectiveAuthservId => AuthservId ?? Hostname;

    public IReadOnlyList<IPEndPoint> ListenEndPoints =>
        [.. Listen.Select(text => ListenAddress.TryParse(text, 25, out var endPoint) ? endPoint! : throw new InvalidOperationException("validated"))];

    public bool AcceptsDomain(string domain) => Names(Domains, domain);

    public bool AllowsRoutingFor(string domain) => Names(AllowUntrustedRouting, domain);

    private static bool Names(List<string> domains, string domain) =>
        domains.Any(listed => string.Equals(listed.TrimEnd('.'), domain.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));

    public static GatewayOptions Load(string displayName, string text, string? baseFolder = null) =>
        YamlFile.Load<GatewayOptions>(displayName, text, (options, errors) =>
        {
            options.BaseFolder = baseFolder ?? Environment.CurrentDirectory;
            options.Validate(errors);
        });

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(Uri.CheckHostName(Hostname) == UriHostNameType.Dns, "hostname", $"'{Hostname}' is not a host name");
        errors.Require(Listen.Count > 0, "listen", "needs at least one address");
        for (var i = 0; i < Listen.Count; i++)
        {
            errors.Require(ListenAddress.TryParse(Listen[i], 25, out _), $"listen.{i}", $"'{Listen[i]}' is not an IP address with optional port");
        }

        errors.Require(!ProxyProtocol || ProxyProtocolFrom.Count > 0, "proxy_protocol_from", "list the load balancers' networks (CIDR) whose PROXY header is believed");
        for (var i = 0; i < ProxyProtocolFrom.Count; i++)
        {
            errors.Require(IPNetwork.TryParse(ProxyProtocolFrom[i], out _), $"proxy_protocol_from.{i}", $"'{ProxyProtocolFrom[i]}' is not a CIDR network");
        }

        errors.Require(Domains.Count > 0, "domains", "list at least one domain to accept mail for (everything else is relay-denied)");
        for (var i = 0; i < Domains.Count; i++)
        {
            errors.Require(Uri.CheckHostName(Domains[i].TrimEnd('.')) == UriHostNameType.Dns, $"domains.{i}", $"'{Domains[i]}' is not a domain name");
        }

        for (var i = 0; i < AllowUntrustedRouting.Count; i++)
        {
            errors.Require(AcceptsDomain(AllowUntrustedRouting[i]), $"allow_untrusted_routing.{i}", $"'{AllowUntrustedRouting[i]}' is not one of domains:");
        }

        errors.Require(!string.IsNullOrWhiteSpace(Rules), "rules", "must name the policy folder");
        Downstream.Validate(errors);
        Limits.Validate(errors);
        Dns.Validate(errors);
        Metrics.Validate(errors);
        Tls.Validate(errors, BaseFolder);
        Authentication.Validate(errors);
        State.Validate(errors);
        Quarantine.Validate(errors);
        Greylisting.Validate(errors);
        Learning.Validate(errors);
        Antivirus.Validate(errors);
        History.Validate(errors, State);
        Web.Validate(errors, BaseFolder);
        SenderLists.Validate(errors, State);
        Pyzor.Validate(errors);
        Fuzzy.Validate(errors, Learning, AcceptsDomain);
        DmarcReports.Validate(errors);
        Classifier.Validate(errors);
        for (var i = 0; i < RateLimits.Count; i++)
        {
            RateLimits[i].Validate(errors, $"rate_limits.{i}");
            errors.Require(RateLimits.FindIndex(other => other.Name == RateLimits[i].Name) == i, $"rate_limits.{i}.name", $"'{RateLimits[i].Name}' is used twice");
        }
    }
}
