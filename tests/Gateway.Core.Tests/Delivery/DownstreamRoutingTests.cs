using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Delivery.Routing;
using Gateway.Tests.Shared;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Tests.Delivery;

public sealed class DownstreamRoutingTests
{
    private const string Routed = """
        hostname: mx.example.test
        domains: [example.test, sales.example.test, eu.example.test, eu.sales.example.test, other.test]
        downstream:
          tls: none
          backoff: 45s
          routes:
            - domains: [sales.example.test]
              servers:
                - {host: sales1.example.test, priority: 10}
            - domains: [.example.test]
              servers:
                - {host: sub.example.test, port: 2525}
            - domains: ["*"]
              servers:
                - {host: dag1.example.test, priority: 10, tls: required, tls_fingerprint: "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"}
                - {host: dag2.example.test, priority: 10}
                - {host: standby.example.test, priority: 20}
        """;

    private static DownstreamRoutes Routes(string yaml = Routed) => new(GatewayOptions.Load("gateway.yaml", yaml).Downstream, "/etc/gateway");

    [Theory]
    [InlineData("a@sales.example.test", "sales.example.test")]
    [InlineData("a@SALES.example.test", "sales.example.test")]
    [InlineData("a@eu.sales.example.test", ".example.test")] // no .sales.example.test route: the nearest parent's
    [InlineData("a@eu.example.test", ".example.test")]
    [InlineData("a@example.test", "*")] // .example.test is its subdomains, not itself
    [InlineData("a@other.test", "*")]
    public void A_recipient_takes_the_exact_route_else_the_nearest_parent_else_the_default(string recipient, string route) =>
        Assert.Equal(route, Routes().For(recipient)!.Name);

    [Fact]
    public void Without_a_default_route_an_unnamed_domain_has_none()
    {
        var routes = Routes(Routed.Replace("\"*\"", "other.test", StringComparison.Ordinal));

        Assert.Null(routes.For("a@example.test"));
        Assert.Equal("other.test", routes.For("a@other.test")!.Name);
    }

    [Fact]
    public void The_single_host_form_is_one_default_route_with_one_server()
    {
        var options = GatewayOptions.Load("gateway.yaml", "hostname: mx.example.test\ndomains: [example.test]\ndownstream: {host: mailbox.example.test, port: 2500, tls: required, tls_ca_file: ca.pem}\n", "/etc/gateway");
        var route = Assert.Single(new DownstreamRoutes(options.Downstream, options.BaseFolder).All);

        var server = Assert.Single(route.Servers);
        Assert.Equal("*", route.Name);
        Assert.Equal(("mailbox.example.test", 2500, DownstreamTls.Required, "/etc/gateway/ca.pem"), (server.Host, server.Port, server.Tls, server.TlsCaFile));
    }

    [Fact]
    public void Servers_take_the_downstream_settings_they_do_not_set_themselves()
    {
        var servers = Routes().For("a@example.test")!.Servers;

        Assert.Equal(DownstreamTls.Required, servers[0].Tls);
        Assert.Equal("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", servers[0].TlsFingerprint);
        Assert.Equal(DownstreamTls.None, servers[1].Tls);
        Assert.Equal(25, servers[1].Port);
        Assert.Equal(2525, Routes().For("a@eu.example.test")!.Servers[0].Port);
    }

    [Fact]
    public void Servers_are_tried_by_priority_with_equal_priorities_in_both_orders_over_time()
    {
        var servers = Routes().For("a@example.test")!.Servers;
        var health = new ServerHealth(TimeSpan.FromSeconds(30), new ManualClock());
        var firsts = new HashSet<string>();

        for (var i = 0; i < 200; i++)
        {
            var order = health.Order(servers);
            Assert.Equal("standby.example.test", order[^1].Host);
            firsts.Add(order[0].Host);
        }

        Assert.Equal(["dag1.example.test", "dag2.example.test"], firsts.Order());
    }

    [Fact]
    public void A_server_marked_down_is_skipped_until_its_backoff_ends_or_it_answers()
    {
        var servers = Routes().For("a@example.test")!.Servers;
        var clock = new ManualClock();
        var health = new ServerHealth(TimeSpan.FromSeconds(30), clock);
        var changes = new List<(string, bool)>();
        health.Changed += (server, up, _) => changes.Add((server.Host, up));

        health.MarkDown(servers[0], "connection refused");
        health.MarkDown(servers[0], "connection refused"); // already down: no second event
        var whileDown = health.Order(servers);
        clock.Advance(TimeSpan.FromSeconds(31));
        var afterBackoff = health.Order(servers);
        health.MarkDown(servers[1], "timeout");
        health.MarkUp(servers[1]);

        Assert.DoesNotContain(servers[0], whileDown);
        Assert.Contains(servers[0], afterBackoff);
        Assert.Equal([("dag1.example.test", false), ("dag2.example.test", false), ("dag2.example.test", true)], changes);
    }

    [Fact]
    public void When_every_server_is_down_the_one_back_soonest_is_still_tried_once()
    {
        var servers = Routes().For("a@example.test")!.Servers;
        var clock = new ManualClock();
        var health = new ServerHealth(TimeSpan.FromSeconds(30), clock);
        health.MarkDown(servers[1], "refused");
        clock.Advance(TimeSpan.FromSeconds(5));
        health.MarkDown(servers[0], "refused");
        health.MarkDown(servers[2], "refused");

        Assert.Equal([servers[1]], health.Order(servers));
    }

    [Theory]
    [InlineData("downstream:\n  host: a.test\n  routes:\n    - {domains: [\"*\"], servers: [{host: b.test}]}\n", "gateway.yaml:5: downstream.routes: set either routes or host")]
    [InlineData("downstream:\n  routes:\n    - domains: [\"*\"]\n      servers: []\n", "gateway.yaml:6: downstream.routes.0.servers: needs at least one server")]
    [InlineData("downstream:\n  routes:\n    - domains: [\"bad domain\"]\n      servers: [{host: b.test}]\n", "downstream.routes.0.domains: 'bad domain' is not a domain, .domain or *")]
    [InlineData("downstream:\n  routes:\n    - domains: [a.test]\n      servers: [{host: b.test}]\n    - domains: [a.test]\n      servers: [{host: c.test}]\n", "downstream.routes.1.domains: 'a.test' is routed twice")]
    [InlineData("downstream:\n  host: a.test\n  tls: required\n  tls_fingerprint: abc\n", "gateway.yaml:6: downstream.tls_fingerprint: needs the certificate's SHA-256 as 64 hex digits")]
    public void Route_mistakes_are_named_with_their_line(string downstream, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptions.Load("gateway.yaml", "hostname: mx.example.test\ndomains: [example.test]\n" + downstream));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Subject: x\r\n\r\nbody\r\n", true)]
    [InlineData("", true)]
    [InlineData("Subject: x\r\n\r\nbody", false)] // no final CRLF
    [InlineData("Subject: x\n\nbody\n", false)]
    [InlineData("Subject: x\r\n\r\nbare\rcr\r\n", false)]
    [InlineData("Subject: x\r\n\r\n\n", false)]
    [InlineData("Subject: x\r\n\r\n.\r\n..\r\n", true)] // dots are nothing to BDAT
    public void A_message_goes_as_a_bdat_chunk_unchanged_only_when_all_its_lines_end_in_crlf(string message, bool canonical)
    {
        var bytes = Encoding.Latin1.GetBytes(message);

        for (var split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(canonical, SmtpDataEncoder.IsCanonical(MessageBytes.Of(bytes.AsMemory(0, split), bytes.AsMemory(split))));
        }
    }
}
