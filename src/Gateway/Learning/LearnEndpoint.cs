using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Core.Headers;
using Gateway.Core.Learning;
using Gateway.Core.State;
using Gateway.Metrics;
using Microsoft.AspNetCore.Http;

namespace Gateway.Learning;

/// <summary>
/// Site learning over the gateway's HTTP listener (metrics.listen), for `gateway learn` when the site
/// model lives in this process (state.backend: memory), as `rspamc learn_spam` talks to rspamd's
/// controller. Every request must carry "Authorization: Bearer TOKEN", the credential derived from the
/// site's secret (<see cref="SiteSecret.LearnToken"/>; `gateway learn` reads the same file), and come from
/// loopback: a learn request from anyone else would be a way to poison the model, or to make it forget.
/// POST /learn/spam|ham?source=NAME&amp;via=cli[&amp;no_caps=1] (the message as the body, at most
/// limits.max_message_size, counted as it is read), POST /learn/forget?source=NAME|domain=NAME, POST
/// /learn/forget-fuzzy?class=spam|ham (the message as the body: its fuzzy hashes' learning taken back), GET /learn/stats (JSON).
/// </summary>
internal sealed class LearnEndpoint(SiteLearner learner, ResultsSeal seal, string token)
{
    public static readonly HashSet<string> Ways = ["cli", "imap", "quarantine", "autolearn"];

    /// <summary>Two messages parsed at once at most: learning is not urgent, memory is.</summary>
    private readonly SemaphoreSlim _parsing = new(2, 2);

    private readonly byte[] _token = System.Text.Encoding.ASCII.GetBytes(token);

    public async Task<(int Status, string Body)> AnswerAsync(HttpContext context, string action)
    {
        var request = context.Request;
        if (context.Connection.RemoteIpAddress is not { } client || !IPAddress.IsLoopback(client))
        {
            return (403, "site learning is served to loopback clients only\n");
        }

        if (!Authorized(request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return (401, "site learning needs the credential `gateway learn` sends (derived from learning.secret_file)\n");
        }

        try
        {
            switch (action, request.Method)
            {
                case ("spam" or "ham", "POST"):
                    return await LearnAsync(context, action == "spam");
                case ("forget-fuzzy", "POST"):
                    return await ForgetFuzzyAsync(context, request.Query["class"] == "spam");
                case ("forget", "POST"):
                    var (name, byDomain) = request.Query["domain"].ToString() is { Length: > 0 } domain ? (domain, true) : (request.Query["source"].ToString(), false);
                    if (name.Length == 0)
                    {
                        return (400, "forget needs ?source=NAME or ?domain=NAME\n");
                    }

                    return (200, $"{await learner.Store.ForgetAsync(name, byDomain, context.RequestAborted)}\n");
                case ("stats", "GET"):
                    return (200, JsonSerializer.Serialize(await learner.Store.StatsAsync(context.RequestAborted)) + "\n");
                default:
                    return (404, "try POST /learn/spam, /learn/ham, /learn/forget, /learn/forget-fuzzy or GET /learn/stats\n");
            }
        }
        catch (StateUnavailableException exception)
        {
            return (503, $"the state store did not answer: {exception.Message}\n");
        }
    }

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(header[scheme.Length..].Trim()), _token);
    }

    private async Task<(int Status, string Body)> ForgetFuzzyAsync(HttpContext context, bool isSpam)
    {
        await _parsing.WaitAsync(context.RequestAborted);
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            return (200, (await learner.ForgetFuzzyAsync(body.ToArray(), isSpam, context.RequestAborted) ? "forgotten" : "not_fuzzy") + "\n");
        }
        finally
        {
            _parsing.Release();
        }
    }

    private async Task<(int Status, string Body)> LearnAsync(HttpContext context, bool isSpam)
    {
        var request = context.Request;
        var via = request.Query["via"].ToString() is { Length: > 0 } named ? named : "cli";
        if (!Ways.Contains(via))
        {
            return (400, $"via must be one of {string.Join(", ", Ways)}\n");
        }

        await _parsing.WaitAsync(context.RequestAborted);
        try
        {
            // Kestrel counts the bytes as they arrive (chunked or not) and stops at limits.max_message_size.
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            var source = request.Query["source"].ToString() is { Length: > 0 } given ? given : via;
            var outcome = await learner.LearnRawAsync(body.ToArray(), isSpam, source, seal, context.RequestAborted, unlimited: request.Query["no_caps"] == "1");
            var word = LearnOutcomes.Word(outcome);
            GatewayMetrics.Learned.WithLabels(isSpam ? "spam" : "ham", via, word).Inc();
            return (200, word + "\n");
        }
        finally
        {
            _parsing.Release();
        }
    }
}
