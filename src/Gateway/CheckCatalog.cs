using Gateway.Core.Authentication.Arc;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Dns;
using Gateway.Core.Learning;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Rules;
using Microsoft.Extensions.Logging;

namespace Gateway;

/// <summary>The checks the pipeline runs, in one place; each stage adds its own here.</summary>
internal static class CheckCatalog
{
    /// <summary>The spam model source; null when the classifier is disabled.</summary>
    public static ModelSource? Models(GatewayOptions options, ILoggerFactory loggerFactory) =>
        options.Classifier.Enabled ? new ModelSource(options.Classifier.ModelPath(options.BaseFolder), loggerFactory.CreateLogger<ModelSource>()) : null;

    /// <param name="dns">The shared resolver; null means offline, so every DNS-based check is left out.</param>
    /// <param name="models">The spam model source; null when the classifier is disabled.</param>
    /// <param name="explain">Overrides classifier.explain (gateway check explains every verdict unless told otherwise).</param>
    /// <param name="dnsLists">Hears DNS list outcomes (metrics, warnings); null for one-off CLI runs.</param>
    /// <param name="antivirus">The clamd check (antivirus.enabled); null leaves it out.</param>
    /// <param name="site">Site learning's token store; null leaves site evidence out (learning disabled, or a CLI run with the memory store, which only the running gateway holds).</param>
    /// <param name="fuzzy">Near-duplicates of learned mail (fuzzy.enabled, on site learning's state store); null leaves them out.</param>
    /// <param name="senderLists">The process's one reader of sender_lists.file (the running gateway's); null: a reader of its own (a CLI run).</param>
    public static IReadOnlyList<IMessageCheck> Create(GatewayOptions options, IDnsResolver? dns, ModelSource? models, ClassifierExplain? explain = null, IDnsListMonitor? dnsLists = null, SiteEvidenceCheck? site = null, Core.Attachments.AntivirusCheck? antivirus = null, Core.SenderLists.ISenderLists? senderLists = null, Core.Fuzzy.FuzzyCheck? fuzzy = null)
    {
        var checks = new List<IMessageCheck>();
        if (models is not null)
        {
            checks.Add(new ClassifierCheck(models, explain ?? options.Classifier.Explain, options.Classifier.ShortTextWords));
        }

        if (site is not null)
        {
            // Site evidence asks who the sender is, which only authentication can say (SITE_SENDER_HAM): built
            // with DependsOn = AfterAuthentication where DNS is on.
            checks.Add(site);
        }

        if (antivirus is not null)
        {
            checks.Add(antivirus);
        }

        if (fuzzy is not null)
        {
            checks.Add(fuzzy);
        }

        if (dns is not null)
        {
            checks.Add(new SpfCheck(new SpfEvaluator(dns, options.Hostname)));
            checks.Add(new DkimCheck(new DkimVerification(dns, TimeProvider.System)));
            checks.Add(new ArcCheck(new ArcVerification(dns)));
            checks.Add(new DmarcCheck(new DmarcEvaluator(dns), options.Authentication));
            checks.Add(new DnsListCheck(dns, dnsLists));
            if (options.Pyzor.IsEnabled)
            {
                checks.Add(new Core.Pyzor.PyzorCheck(Core.Pyzor.PyzorClient.For(options.Pyzor)));
            }

            checks.Add(new Core.SenderLists.SenderAllowCheck(senderLists ?? new Core.SenderLists.SenderListFile(options.SenderLists.FullPath(options.BaseFolder)), authenticates: true));
        }

        // Rules run last: they may test every other check's results and symbols.
        checks.Add(new RulesCheck([.. checks.Select(check => check.Name)]));
        return checks;
    }
}
