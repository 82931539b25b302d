using System.Text.Json;
using Gateway.Core.Learning;
using Gateway.Core.State;
using Gateway.Metrics;

namespace Gateway.Learning;

/// <summary>
/// Site learning over the gateway's HTTP listener (metrics.listen), for `gateway learn` when the site
/// model lives in this process (state.backend: memory), as `rspamc learn_spam` talks to rspamd's
/// controller. Loopback clients only: a learn request from the network would be a way to poison it.
/// POST /learn/spam|ham?source=NAME&amp;via=cli[&amp;no_caps=1] (the message as the body), POST
/// /learn/forget?source=NAME|domain=NAME, GET /learn/stats (JSON).
/// </summary>
internal sealed class LearnEndpoint(SiteLearner learner, string authservId)
{
    /// <summary>The largest message accepted for learning (what the gateway would accept is far less by default).</summary>
    private const long MaxBody = 64L * 1024 * 1024;

    public static readonly HashSet<string> Ways = ["cli", "imap", "quarantine", "autolearn"];

    public async Task<(int Status, string Body)> AnswerAsync(HttpListenerRequest request, string action)
    {
        if (!IPAddress.IsLoopback(request.RemoteEndPoint.Address))
        {
            return (403, "site learning is served to loopback clients only\n");
        }

        try
        {
            switch (action, request.HttpMethod)
            {
                case ("spam" or "ham", "POST"):
                    return await LearnAsync(request, action == "spam");
                case ("forget", "POST"):
                    var (name, byDomain) = request.QueryString["domain"] is { Length: > 0 } domain ? (domain, true) : (request.QueryString["source"] ?? string.Empty, false);
                    if (name.Length == 0)
                    {
                        return (400, "forget needs ?source=NAME or ?domain=NAME\n");
                    }

                    return (200, $"{await learner.Store.ForgetAsync(name, byDomain, CancellationToken.None)}\n");
                case ("stats", "GET"):
                    return (200, JsonSerializer.Serialize(await learner.Store.StatsAsync(CancellationToken.None)) + "\n");
                default:
                    return (404, "try POST /learn/spam, /learn/ham, /learn/forget or GET /learn/stats\n");
            }
        }
        catch (StateUnavailableException exception)
        {
            return (503, $"the state store did not answer: {exception.Message}\n");
        }
    }

    private async Task<(int Status, string Body)> LearnAsync(HttpListenerRequest request, bool isSpam)
    {
        var via = request.QueryString["via"] ?? "cli";
        if (!Ways.Contains(via))
        {
            return (400, $"via must be one of {string.Join(", ", Ways)}\n");
        }

        if (request.ContentLength64 > MaxBody)
        {
            return (413, "message too large to learn\n");
        }

        using var body = new MemoryStream();
        await request.InputStream.CopyToAsync(body);
        var source = request.QueryString["source"] is { Length: > 0 } named ? named : via;
        var outcome = await learner.LearnRawAsync(body.ToArray(), isSpam, source, authservId, CancellationToken.None, unlimited: request.QueryString["no_caps"] == "1");
        var word = LearnOutcomes.Word(outcome);
        GatewayMetrics.Learned.WithLabels(isSpam ? "spam" : "ham", via, word).Inc();
        return (200, word + "\n");
    }
}
