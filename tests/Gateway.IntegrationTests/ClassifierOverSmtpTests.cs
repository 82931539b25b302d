namespace Gateway.IntegrationTests;

/// <summary>The classifier inside the running gateway: with the shipped model, and with none at all.</summary>
public sealed class ClassifierOverSmtpTests
{
    private static readonly byte[] Spammy = TestMessages.Crlf(
        "From: deals@remote.test\nTo: user@example.test\nSubject: FREE CASH!!! Act now, limited offer\nContent-Type: text/html\n\n" +
        "<html><body><p>Dear friend, you have been selected to receive $1,000,000 FREE!!! " +
        "Click <a href=\"http://cash.example.test/claim\">here</a> to claim your prize. Unsubscribe <a href=\"http://cash.example.test/u\">here</a>.</p></body></html>\n.\n");

    /// <summary>The same with a lottery story and a credential lure: phishing rules, evidence independent of the classifier.</summary>
    private static readonly byte[] Phishy = TestMessages.Crlf(
        "From: deals@remote.test\nTo: user@example.test\nSubject: FREE CASH!!! Act now, limited offer\nContent-Type: text/html\n\n" +
        "<html><body><p>Dear friend, you won the lottery: 1,000,000 USD are waiting for you. Verify your account " +
        "<a href=\"http://cash.example.test/claim\">here</a> to claim your prize.</p></body></html>\n.\n");

    private static readonly string ShippedModel = Path.Combine(RepositoryRoot.Path, "models", "spam.zip");

    /// <summary>One message through a gateway with the given model: the reply to DATA and what the downstream received.</summary>
    private static async Task<(string Reply, IReadOnlyList<string> Forwarded)> SendAsync(string model, byte[] message)
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Model = model } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("deals@remote.test", "user@example.test");
        var reply = await client.DataAsync(message);
        return (reply, [.. downstream.Messages.Select(received => Encoding.UTF8.GetString(received.Raw))]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_a_model_mail_flows_and_no_classifier_symbol_is_added()
    {
        var (reply, forwarded) = await SendAsync("/nonexistent/spam.zip", Spammy);

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Assert.Single(forwarded);
        Assert.DoesNotContain("ML_SPAM", text, StringComparison.Ordinal);
        Assert.DoesNotContain("classifier=", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_the_shipped_model_spam_is_tagged_naming_the_classifier_which_alone_never_rejects()
    {
        var (reply, forwarded) = await SendAsync(ShippedModel, Spammy);

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Assert.Single(forwarded);
        Assert.Contains("X-Spam-Flag: YES", text, StringComparison.Ordinal);
        Assert.Contains("ML_SPAM(", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_a_phishing_rule_beside_the_classifier_spam_is_rejected_in_session()
    {
        var (reply, forwarded) = await SendAsync(ShippedModel, Phishy);

        Assert.StartsWith("550 5.7.1 Message rejected as spam", reply, StringComparison.Ordinal);
        Assert.Contains("ML_SPAM", reply, StringComparison.Ordinal);
        Assert.Empty(forwarded);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_model_file_deleted_while_running_leaves_the_loaded_model_at_work()
    {
        var model = Path.Combine(Directory.CreateTempSubdirectory("model-").FullName, "spam.zip");
        File.Copy(Path.Combine(RepositoryRoot.Path, "models", "spam.zip"), model);
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Model = model } });

        File.Delete(model);
        await Task.Delay(1000); // past the reload debounce: a reload attempt, if any, has happened
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("deals@remote.test", "user@example.test");

        var reply = await client.DataAsync(Spammy);

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.Contains("ML_SPAM(", Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task In_shadow_mode_the_verdict_is_forwarded_and_explained_in_x_spam_status()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Classifier = options.Classifier with { Model = Path.Combine(RepositoryRoot.Path, "models", "spam.zip") },
                Mode = Gateway.Core.Configuration.GatewayMode.Shadow,
            });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("deals@remote.test", "user@example.test");

        var reply = await client.DataAsync(Phishy);

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("ML_SPAM(", text, StringComparison.Ordinal);
        Assert.Contains("X-Gateway-Would: reject", text, StringComparison.Ordinal);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(text, @"\tclassifier=p=[01]\.\d{3} [+-]"""), text);
        Assert.Contains("X-Spam-Flag: YES", text, StringComparison.Ordinal);
    }
}
