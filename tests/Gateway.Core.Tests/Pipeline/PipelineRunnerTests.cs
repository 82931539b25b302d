using Gateway.Core.Pipeline;
using MimeKit;
using Gateway.Core.Authentication;

namespace Gateway.Core.Tests.Pipeline;

public sealed class PipelineRunnerTests
{
    private static MessageContext NewContext() => new()
    {
        SessionId = "test",
        Envelope = Envelope.Offline,
        RawMessage = ReadOnlyMemory<byte>.Empty,
        Message = new MimeMessage(),
    };

    [Fact]
    public async Task Runs_dependencies_before_their_dependents()
    {
        var order = new List<string>();
        var checks = new[]
        {
            new DelegateCheck("dmarc", ["spf", "dkim"], (_, _) => { lock (order) { order.Add("dmarc"); } return Task.CompletedTask; }),
            new DelegateCheck("spf", [], async (_, ct) => { await Task.Delay(30, ct); lock (order) { order.Add("spf"); } }),
            new DelegateCheck("dkim", [], (_, _) => { lock (order) { order.Add("dkim"); } return Task.CompletedTask; }),
        };

        var results = await new PipelineRunner(checks, TimeSpan.FromSeconds(5)).RunAsync(NewContext(), CancellationToken.None);

        Assert.Equal("dmarc", order[^1]);
        Assert.Equal(3, results.Count);
        Assert.All(results, result => Assert.Equal(CheckStatus.Completed, result.Status));
    }

    [Fact]
    public async Task A_throwing_check_becomes_a_check_error_symbol_and_the_others_still_run()
    {
        var context = NewContext();
        var checks = new[]
        {
            new DelegateCheck("broken", [], (_, _) => throw new InvalidOperationException("boom")),
            new DelegateCheck("fine", [], (message, _) => { message.Add(new SymbolHit("FINE")); return Task.CompletedTask; }),
        };

        var results = await new PipelineRunner(checks, TimeSpan.FromSeconds(5)).RunAsync(context, CancellationToken.None);

        Assert.Equal(CheckStatus.Failed, results.Single(result => result.Name == "broken").Status);
        var error = Assert.Single(context.Symbols, symbol => symbol.Name == PipelineRunner.CheckErrorSymbol);
        Assert.Contains("broken", error.Detail, StringComparison.Ordinal);
        Assert.Contains(context.Symbols, symbol => symbol.Name == "FINE");
    }

    [Fact]
    public async Task A_check_that_overruns_its_timeout_is_cut_off()
    {
        var context = NewContext();
        var checks = new[] { new DelegateCheck("slow", [], (_, ct) => Task.Delay(Timeout.Infinite, ct)) };

        var results = await new PipelineRunner(checks, TimeSpan.FromMilliseconds(50)).RunAsync(context, CancellationToken.None);

        Assert.Equal(CheckStatus.TimedOut, Assert.Single(results).Status);
        Assert.Contains("slow: timed out", Assert.Single(context.Symbols).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_dependencies_and_cycles_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PipelineRunner([new DelegateCheck("a", ["missing"], (_, _) => Task.CompletedTask)], TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentException>(() => new PipelineRunner(
            [new DelegateCheck("a", ["b"], (_, _) => Task.CompletedTask), new DelegateCheck("b", ["a"], (_, _) => Task.CompletedTask)],
            TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Dmarc_asks_for_its_record_before_the_checks_it_waits_for_have_run()
    {
        var dns = new Dns.FakeDnsResolver().Txt("_dmarc.bank.test", "v=DMARC1; p=none");
        var context = NewContext();
        context.Message.From.Add(MailboxAddress.Parse("ceo@bank.test"));
        var askedWhileDkimRan = new List<string>();
        var checks = new IMessageCheck[]
        {
            new DelegateCheck("dkim", [], (message, _) =>
            {
                askedWhileDkimRan.AddRange(dns.Queries);
                message.Authentication.Dkim = [];
                return Task.CompletedTask;
            }),
            new DelegateCheck("spf", [], (_, _) => Task.CompletedTask),
            new DelegateCheck("arc", [], (message, _) => Task.FromResult(message.Authentication.Arc = new Core.Authentication.Arc.ArcOutcome(Core.Authentication.AuthResult.None))),
            new Core.Authentication.Dmarc.DmarcCheck(new Core.Authentication.Dmarc.DmarcEvaluator(dns), new Core.Configuration.AuthenticationOptions()),
        };

        await new PipelineRunner(checks, TimeSpan.FromSeconds(5)).RunAsync(context, CancellationToken.None);

        Assert.Contains("_dmarc.bank.test", askedWhileDkimRan);
        Assert.Contains(context.Symbols, symbol => symbol.Name == "DMARC_POLICY_NONE");
    }

    private sealed class DelegateCheck(string name, string[] dependsOn, Func<MessageContext, CancellationToken, Task> run) : IMessageCheck
    {
        public string Name => name;

        public IReadOnlyList<string> DependsOn => dependsOn;

        public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
        {
            await run(message, cancellationToken);
            return CheckStatus.Completed;
        }
    }
}
