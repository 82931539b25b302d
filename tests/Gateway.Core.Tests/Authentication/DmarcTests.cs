using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Tests.Dns;
using MimeKit;

namespace Gateway.Core.Tests.Authentication;

public sealed class DmarcTests
{
    private static MimeMessage From(params string[] addresses)
    {
        var message = new MimeMessage();
        foreach (var address in addresses)
        {
            message.From.Add(MailboxAddress.Parse(address));
        }

        return message;
    }

    private static SpfOutcome SpfPass(string domain) => new(SpfResult.Pass, domain);

    private static DkimSignatureResult Dkim(string domain, AuthResult result = AuthResult.Pass) => new(result, domain, "sel", "rsa-sha256");

    private static Task<DmarcOutcome> Evaluate(FakeDnsResolver dns, MimeMessage message, string? mailFrom = null, SpfOutcome? spf = null, params DkimSignatureResult[] dkim) =>
        new DmarcEvaluator(dns).EvaluateAsync(message, mailFrom, spf, dkim, CancellationToken.None);

    [Fact]
    public void Records_are_read_per_dmarcbis_with_legacy_pct()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; t=y; psd=n; rua=mailto:x@example.test")!;

        Assert.Equal((DmarcPolicy.Reject, DmarcPolicy.Quarantine, DmarcPolicy.Reject, true, false, true, 'n'),
            (record.Policy, record.SubdomainPolicy, record.NonexistentPolicy, record.StrictDkim, record.StrictSpf, record.Testing, record.Psd));
        Assert.True(DmarcRecord.Parse("v=DMARC1; p=reject; pct=0")!.Testing);
        Assert.False(DmarcRecord.Parse("v=DMARC1; p=reject; pct=100")!.Testing);
        Assert.Equal(DmarcPolicy.Quarantine, DmarcRecord.Parse("v=DMARC1; p=quarantine")!.NonexistentPolicy);
        Assert.Null(DmarcRecord.Parse("p=reject; v=DMARC1"));
        Assert.Null(DmarcRecord.Parse("v=DMARC2; p=reject"));
        Assert.Equal(DmarcPolicy.None, DmarcRecord.Parse("v=DMARC1; p=bogus")!.Policy);
    }

    [Fact]
    public void The_tree_walk_asks_at_most_eight_names_jumping_to_seven_labels()
    {
        Assert.Equal(["a.b.example.test", "b.example.test", "example.test", "test"], DmarcTreeWalk.Names("a.b.example.test"));
        var names = DmarcTreeWalk.Names("1.2.3.4.5.6.7.8.9.example.test");
        Assert.Equal(8, names.Count);
        Assert.Equal("1.2.3.4.5.6.7.8.9.example.test", names[0]);
        Assert.Equal("5.6.7.8.9.example.test", names[1]);
        Assert.Equal("test", names[^1]);
    }

    [Fact]
    public async Task Aligned_dkim_passes_and_relaxed_alignment_reaches_the_organizational_domain()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.test", "v=DMARC1; p=reject");

        var relaxed = await Evaluate(dns, From("a@news.example.test"), dkim: Dkim("mail.example.test"));
        var unaligned = await Evaluate(dns, From("a@example.test"), dkim: Dkim("other.test"));

        Assert.Equal(AuthResult.Pass, relaxed.Result);
        Assert.True(relaxed.DkimAligned);
        Assert.Equal(AuthResult.Fail, unaligned.Result);
        Assert.Equal(DmarcPolicy.Reject, unaligned.EffectivePolicy);
    }

    [Fact]
    public async Task Strict_alignment_needs_the_exact_domain()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.test", "v=DMARC1; p=reject; adkim=s; aspf=s");

        Assert.Equal(AuthResult.Fail, (await Evaluate(dns, From("a@example.test"), dkim: Dkim("mail.example.test"))).Result);
        Assert.Equal(AuthResult.Pass, (await Evaluate(dns, From("a@example.test"), "bounce@example.test", SpfPass("example.test"))).Result);
    }

    [Fact]
    public async Task Spf_counts_only_when_it_passed_for_an_aligned_mail_from()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.test", "v=DMARC1; p=quarantine");

        var aligned = await Evaluate(dns, From("a@example.test"), "bounce@mail.example.test", SpfPass("mail.example.test"));
        var failed = await Evaluate(dns, From("a@example.test"), "bounce@example.test", new SpfOutcome(SpfResult.SoftFail, "example.test"));
        var foreign = await Evaluate(dns, From("a@example.test"), "bounce@esp.test", SpfPass("esp.test"));

        Assert.True(aligned.SpfAligned);
        Assert.Equal(AuthResult.Fail, failed.Result);
        Assert.Equal(AuthResult.Fail, foreign.Result);
        Assert.Equal(DmarcPolicy.Quarantine, foreign.EffectivePolicy);
    }

    [Fact]
    public async Task The_walk_finds_the_policy_several_labels_up_and_uses_sp_there()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.example.test", "v=DMARC1; p=none; sp=reject")
            .A("a.b.c.example.test", "192.0.2.1");

        var outcome = await Evaluate(dns, From("x@a.b.c.example.test"));

        Assert.Equal("example.test", outcome.PolicyDomain);
        Assert.Equal(DmarcPolicy.Reject, outcome.RequestedPolicy);
    }

    [Fact]
    public async Task Non_existent_subdomains_get_np()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.test", "v=DMARC1; p=none; sp=quarantine; np=reject");

        var outcome = await Evaluate(dns, From("x@no-such-host.example.test"));

        Assert.Equal(DmarcPolicy.Reject, outcome.RequestedPolicy);
    }

    [Fact]
    public async Task A_psd_boundary_sets_the_organizational_domain_one_label_below()
    {
        // "gov.test" is a public suffix that publishes psd=y: brand.gov.test and other.gov.test are different organizations.
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.gov.test", "v=DMARC1; p=reject; psd=y")
            .A("brand.gov.test", "192.0.2.1");
        var walk = new DmarcTreeWalk(dns);

        Assert.Equal("brand.gov.test", await walk.OrganizationalDomainAsync("mail.brand.gov.test", CancellationToken.None));
        Assert.Equal("other.gov.test", await walk.OrganizationalDomainAsync("other.gov.test", CancellationToken.None));

        var unaligned = await Evaluate(dns, From("x@brand.gov.test"), dkim: Dkim("other.gov.test"));
        var aligned = await Evaluate(dns, From("x@brand.gov.test"), dkim: Dkim("mail.brand.gov.test"));

        Assert.Equal(AuthResult.Fail, unaligned.Result);
        Assert.Equal(DmarcPolicy.Reject, unaligned.RequestedPolicy);
        Assert.Equal(AuthResult.Pass, aligned.Result);
    }

    [Fact]
    public async Task Psd_n_marks_the_organizational_domain_itself()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.corp.example.test", "v=DMARC1; p=reject; psd=n")
            .Txt("_dmarc.example.test", "v=DMARC1; p=none");

        Assert.Equal("corp.example.test", await new DmarcTreeWalk(dns).OrganizationalDomainAsync("a.corp.example.test", CancellationToken.None));
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; t=y", DmarcPolicy.Quarantine)]
    [InlineData("v=DMARC1; p=reject; pct=0", DmarcPolicy.Quarantine)]
    [InlineData("v=DMARC1; p=quarantine; t=y", DmarcPolicy.None)]
    [InlineData("v=DMARC1; p=reject; pct=50", DmarcPolicy.Reject)]
    public async Task Testing_mode_steps_the_policy_down(string record, DmarcPolicy expected)
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.test", record);

        Assert.Equal(expected, (await Evaluate(dns, From("a@example.test"))).EffectivePolicy);
    }

    [Fact]
    public async Task Several_from_domains_are_each_evaluated_and_the_strictest_counts()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.good.test", "v=DMARC1; p=reject")
            .Txt("_dmarc.bank.test", "v=DMARC1; p=reject");

        var outcome = await Evaluate(dns, From("a@good.test", "b@bank.test"), dkim: Dkim("good.test"));

        Assert.Equal(AuthResult.Fail, outcome.Result);
        Assert.Equal("bank.test", outcome.FromDomain);
    }

    [Fact]
    public async Task More_from_domains_than_evaluated_is_a_permerror_without_a_single_query_and_five_are_still_evaluated()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.bank.test", "v=DMARC1; p=reject");
        var sixth = From([.. Enumerable.Range(1, 5).Select(i => $"a@x{i}.test"), "ceo@bank.test"]);
        var many = From(["ceo@bank.test", .. Enumerable.Range(1, 300).Select(i => $"a@x{i}.test")]);

        var tooMany = await Evaluate(dns, sixth);
        var hundreds = await Evaluate(dns, many);
        new DmarcEvaluator(dns).StartLookups(many);
        var queriesForTooMany = dns.Queries.Count;
        var five = await Evaluate(dns, From([.. Enumerable.Range(1, 4).Select(i => $"a@x{i}.test"), "ceo@bank.test"]));

        Assert.Equal(AuthResult.PermError, tooMany.Result);
        Assert.True(tooMany.TooManyAuthorDomains);
        Assert.Equal("the From field names 6 domains; at most 5 are evaluated", tooMany.Reason);
        Assert.True(hundreds.TooManyAuthorDomains);
        Assert.Equal(0, queriesForTooMany);
        Assert.Equal(AuthResult.Fail, five.Result);
        Assert.Equal("bank.test", five.FromDomain);
    }

    [Fact]
    public async Task No_from_address_is_a_permerror()
    {
        Assert.Equal(AuthResult.PermError, (await Evaluate(new FakeDnsResolver(), new MimeMessage())).Result);
    }

    [Fact]
    public async Task Dns_trouble_is_a_temperror_never_a_failure()
    {
        var dns = new FakeDnsResolver().Failing("_dmarc.example.test");

        var outcome = await Evaluate(dns, From("a@example.test"));

        Assert.Equal(AuthResult.TempError, outcome.Result);
        Assert.Equal(DmarcPolicy.None, outcome.EffectivePolicy);
    }

    [Fact]
    public async Task No_record_anywhere_is_none()
    {
        Assert.Equal(AuthResult.None, (await Evaluate(new FakeDnsResolver(), From("a@example.test"))).Result);
    }
}
