using Gateway.Core.Authentication.Spf;
using Gateway.Core.Tests.Dns;

namespace Gateway.Core.Tests.Authentication;

/// <summary>
/// SPF records an attacker publishes for the domain of the MAIL FROM they send: macro-heavy records that
/// made one MAIL FROM cost tens of CPU seconds, and that went on after the client left.
/// </summary>
public sealed class SpfMacroLimitTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    /// <summary>About 1 KB of local part, in one-letter labels: the worst case for dropping labels one by one.</summary>
    private static readonly string LongLocalPart = string.Join('.', Enumerable.Repeat("a", 500));

    private static string MacroRecord(int macros) => $"v=spf1 exists:{string.Concat(Enumerable.Repeat("%{l}", macros))}.x.attacker.test -all";

    [Fact]
    public async Task A_record_whose_expansion_would_run_to_hundreds_of_kilobytes_is_a_permerror()
    {
        var dns = new FakeDnsResolver().Txt("attacker.test", MacroRecord(200));

        var outcome = await new SpfEvaluator(dns, "gateway.test").CheckAsync(Client, "helo.test", $"{LongLocalPart}@attacker.test", CancellationToken.None);

        Assert.Equal(SpfResult.PermError, outcome.Result);
        Assert.Contains("macro expansion", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expansion_under_the_cap_keeps_the_right_most_labels_that_fit_in_253_characters()
    {
        var dns = new FakeDnsResolver().Txt("attacker.test", MacroRecord(4));

        var outcome = await new SpfEvaluator(dns, "gateway.test").CheckAsync(Client, "helo.test", $"{LongLocalPart}@attacker.test", CancellationToken.None);

        Assert.Equal(SpfResult.Fail, outcome.Result);
        var queried = dns.Queries.Single(name => name.EndsWith(".x.attacker.test", StringComparison.Ordinal));
        Assert.True(queried.Length <= 253, queried);
        Assert.True(queried.Length >= 252, queried); // one-letter labels: at most one character short
        Assert.StartsWith("a.", queried, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_evaluation_stops_expanding()
    {
        var dns = new FakeDnsResolver().Txt("attacker.test", MacroRecord(100));
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SpfEvaluator(dns, "gateway.test").CheckAsync(Client, "helo.test", "short@attacker.test", gone.Token));
    }
}
