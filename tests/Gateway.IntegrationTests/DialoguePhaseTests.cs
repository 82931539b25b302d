using Gateway.Core.Delivery;
using Gateway.Smtp.Phases;
using Gateway.Core.Pipeline;

namespace Gateway.IntegrationTests;

/// <summary>
/// A new RCPT-time check is one class plus one line of registration (issue 23): this one, a spam-trap
/// check a site might write, runs after the standard checks and before the downstream hears of the
/// recipient, and its answer reaches the client like any refusal.
/// </summary>
public sealed class DialoguePhaseTests
{
    /// <summary>The example: addresses with a trap- local part are spam traps; no real sender writes to them.</summary>
    private sealed class SpamTrapCheck : IRecipientCheck
    {
        public int Seen;

        public string Name => "spam-trap";

        public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Seen);
            return ValueTask.FromResult(step.Mailbox.User.StartsWith("trap-", StringComparison.OrdinalIgnoreCase)
                ? DialogueOutcome.Refuse(new SmtpReply(550, "5.7.1", "Spam trap"))
                : DialogueOutcome.Continue);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_recipient_check_added_in_one_line_answers_in_the_rcpt_phase_after_the_standard_ones()
    {
        var trap = new SpamTrapCheck();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } }, recipientCheck: trap);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "trap-1@example.test", "trap-2@elsewhere.test", "user@example.test");
        var data = await client.DataAsync(TestMessages.Wire("past the trap"));

        Assert.Equal("550 5.7.1 Spam trap", replies[0]);
        Assert.Equal("550 5.7.1 Relay access denied", replies[1]); // the standard checks answered first
        Assert.StartsWith("250", replies[2], StringComparison.Ordinal);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        Assert.Equal(2, trap.Seen);
        Assert.Equal(["user@example.test"], Assert.Single(downstream.Messages).To);
        Assert.Equal(1, downstream.MailCommands); // one transaction, opened by the recipient the trap let through
    }

    /// <summary>
    /// Dialogue checks say what they rely on (issue 34): a policy-group check registered before the check that
    /// gives the recipient a valid form would read a null address; start-up refuses that order, naming both.
    /// </summary>
    [Fact]
    public void A_check_registered_before_one_it_depends_on_is_refused_at_start_up()
    {
        IRecipientCheck[] misordered = [new PolicyGroupCheck(() => throw new InvalidOperationException("not asked")), new RecipientAddressCheck()];
        ISenderCheck[] missing = [new SpfStartCheck(null!, TimeSpan.FromSeconds(1))];

        var order = Assert.Throws<InvalidOperationException>(() => new DialogueChecks([], [], misordered));
        var absent = Assert.Throws<InvalidOperationException>(() => new DialogueChecks([], missing, []));
        var standard = DialogueChecks.Standard(new Gateway.Core.Configuration.GatewayOptions(), null!, null, null, () => throw new InvalidOperationException("not asked"), null, new Gateway.Core.SenderLists.SenderListFile(Path.Combine(Path.GetTempPath(), "no-sender-lists.json")), null);

        Assert.Equal("RCPT check policy-group depends on recipient-address, which is registered after it: register recipient-address first", order.Message);
        Assert.Equal("MAIL check spf-start depends on sender-address, which is not registered: register sender-address first", absent.Message);
        Assert.NotNull(standard.With(new SpamTrapCheck())); // the shipped order, and a site's check at the end, hold
    }
}
