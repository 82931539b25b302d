using Gateway.Core.Configuration;

namespace Gateway.Core.Tests.Configuration;

public sealed class GatewayOptionsTests
{
    private const string Valid = """
        hostname: mx.example.test
        listen: ["127.0.0.1:2525", "[::1]:2526"]
        domains: [example.test]
        downstream:
          host: 127.0.0.1
          port: 2500
          tls: none
          timeout: 1500ms
        limits:
          max_message_size: 1000
          command_timeout: 2m
        dns:
          servers: ["127.0.0.1:5353"]
          timeout: 2s
        """;

    [Fact]
    public void Binds_snake_case_keys_durations_and_end_points()
    {
        var options = GatewayOptions.Load("gateway.yaml", Valid);

        Assert.Equal("mx.example.test", options.Hostname);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 2525), new IPEndPoint(IPAddress.IPv6Loopback, 2526)], options.ListenEndPoints);
        Assert.Equal(DownstreamTls.None, options.Downstream.Tls);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.Downstream.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Limits.CommandTimeout);
        Assert.Equal(1000, options.Limits.MaxMessageSize);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 5353)], options.Dns.ServerEndPoints);
        Assert.False(options.Downstream.IsDirectory);
        Assert.True(options.AcceptsDomain("EXAMPLE.test"));
        Assert.False(options.AcceptsDomain("example.test.evil"));
    }

    [Theory]
    [InlineData("domains: [example.test]\nlimits:\n  max_recipients: 10\n  bogus: 1\n", "gateway.yaml:4:3: unknown key 'bogus'")]
    [InlineData("domains: [example.test]\nweb:\n  listen: 127.0.0.1:8080\n  trusted_proxies: [10.0.0.0/8, proxy.example]\n", "gateway.yaml:4: web.trusted_proxies.1: 'proxy.example' is not a CIDR network")]
    [InlineData("domains: [example.test]\nweb:\n  listen: 127.0.0.1:8080\n  oidc:\n    authority: https://login.example.test/realms/mail\n    client_id: gateway\n", "gateway.yaml:4: web.oidc.admin_value: must name the role or group that administers the console")]
    [InlineData("domains: [example.test]\nweb:\n  listen: 127.0.0.1:8080\n  oidc:\n    authority: http://login.example.test/realms/mail\n    client_id: gateway\n    admin_value: mail-admins\n", "gateway.yaml:5: web.oidc.authority: 'http://login.example.test/realms/mail' is not an https URL (http only on a loopback address)")]
    [InlineData("domains: [example.test]\nfuzzy:\n  enabled: true\n  traps: [trap@elsewhere.test]\n", "gateway.yaml:4: fuzzy.traps.0: 'trap@elsewhere.test' is not an address in one of domains:")]
    [InlineData("domains: [example.test]\ndmarc_reports:\n  enabled: true\n  from: dmarc@example.test\n", "gateway.yaml:2: dmarc_reports.relay: must name the SMTP relay the reports go out through")]
    [InlineData("domains: [example.test]\nsender_lists:\n  store: redis\n", "gateway.yaml:3: sender_lists.store: redis needs state.backend: redis")]
    [InlineData("domains: [example.test]\npyzor:\n  servers: [\"public.pyzor.org\"]\n", "gateway.yaml:3: pyzor.servers.0: 'public.pyzor.org' is not host:port")]
    [InlineData("domains: [example.test]\nhistory:\n  directory: /var/lib/gateway/history\n  size: 5\n", "gateway.yaml:4: history.size: 5 is not between 10 and 10000000")]
    [InlineData("domains: [example.test]\ndownstream:\n  port: 70000\n", "gateway.yaml:3: downstream.port: must be between 1 and 65535")]
    [InlineData("domains: [example.test]\nlisten:\n  - 127.0.0.1:25\n  - nonsense\n", "gateway.yaml:4: listen.1: 'nonsense' is not an IP address with optional port")]
    [InlineData("domains: [example.test]\ndns:\n  timeout: soon\n", "gateway.yaml:3:12: dns.timeout: 'soon' is not a duration")]
    [InlineData("domains: [example.test]\nlimits:\n  max_recipients: lots\n", "gateway.yaml:3:19: limits.max_recipients: takes a whole number")]
    [InlineData("domains: [example.test]\nlimits:\n  max_message_size: 1000000\n  max_message_memory: 999999\n", "gateway.yaml:4: limits.max_message_memory: must be at least limits.max_message_size")]
    [InlineData("hostname: mx.example.test\n", "gateway.yaml:1: domains: list at least one domain")]
    [InlineData("domains: [example.test]\ndownstream:\n  tls: sometimes\n", "gateway.yaml:3:")]
    [InlineData("domains: [example.test]\ndownstream:\n  host: 127.0.0.1\n  directory: /tmp/x\n", "gateway.yaml:2: downstream: set either host or directory")]
    [InlineData("domains: [example.test]\nrate_limits:\n  - {name: x, key: client_address, limit: 5}\n", "gateway.yaml:3:20: rate_limits.0.key: 'client_address' is not one of: client_ip, sender_domain, recipient")]
    [InlineData("domains: [example.test]\nrate_limits:\n  - {name: x, limit: 5}\n  - {name: x, limit: 6}\n", "gateway.yaml:4: rate_limits.1.name: 'x' is used twice")]
    [InlineData("domains: [example.test]\ngreylisting:\n  skip_networks: [10.0.0.0/33]\n", "gateway.yaml:3: greylisting.skip_networks.0: '10.0.0.0/33' is not a CIDR network")]
    public void Errors_name_the_file_and_line(string yaml, string expectedStart)
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptions.Load("gateway.yaml", yaml));

        Assert.StartsWith(expectedStart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_gateway_yaml_is_valid_and_delivers_into_a_directory()
    {
        var path = Path.Combine(RepositoryRoot.Path, "gateway.yaml");

        var options = GatewayOptions.Load(path, File.ReadAllText(path));

        Assert.True(options.Downstream.IsDirectory);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 2525)], options.ListenEndPoints);
    }

    [Fact]
    public void The_kubernetes_gateway_yaml_is_valid_and_shares_state_in_redis()
    {
        var path = Path.Combine(RepositoryRoot.Path, "deploy", "kubernetes", "gateway.yaml");

        var options = GatewayOptions.Load(path, File.ReadAllText(path));

        Assert.Equal(StateBackend.Redis, options.State.Backend);
        Assert.Equal(RateLimitKey.ClientIp, Assert.Single(options.RateLimits).Key);
        Assert.Equal("0.0.0.0:9464", options.Metrics.Listen);
    }

    [Theory]
    [InlineData("36d", 36 * 86_400_000.0)]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h", 3_600_000)]
    public void Durations_take_units(string text, double milliseconds)
    {
        Assert.True(DurationConverter.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("s")]
    public void Durations_without_a_unit_are_refused(string text) => Assert.False(DurationConverter.TryParse(text, out _));
}
