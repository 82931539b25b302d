using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Pipeline;

namespace Gateway.Core.DmarcReports;

/// <summary>The policy a domain published, as an aggregate report restates it, with where it wants reports.</summary>
public sealed record DmarcPublished(string Domain, string Adkim, string Aspf, string P, string Sp, string Np, bool Testing, IReadOnlyList<DmarcReportAddress> Rua);

/// <summary>One DKIM signature's result as reported: its d=, s= and result.</summary>
public sealed record DmarcDkimResult(string Domain, string Selector, string Result);

/// <summary>
/// A report row: what is counted together (RFC 7489 Appendix C "record"): the connecting IP, what we did
/// (disposition), the DMARC-aligned outcome of DKIM and SPF, the identifiers and the raw results.
/// </summary>
public sealed record DmarcReportRow(
    string SourceIp,
    string Disposition,
    string Dkim,
    string Spf,
    string HeaderFrom,
    string EnvelopeFrom,
    IReadOnlyList<DmarcDkimResult> DkimResults,
    string SpfDomain,
    string SpfScope,
    string SpfResult);

/// <summary>One DMARC evaluation of a message whose domain asks for aggregate reports.</summary>
public sealed record DmarcObservation(DateTimeOffset Time, DmarcPublished Policy, DmarcReportRow Row)
{
    /// <summary>
    /// The observation of a scanned message, or null when there is nothing to report: no DMARC record, or one
    /// without rua=. <paramref name="action"/> is what was done with the message: refused is reject, tagged or held is
    /// quarantine (it went to the junk side), delivered as it was is none.
    /// </summary>
    public static DmarcObservation? Of(MessageContext context, VerdictAction action, DateTimeOffset now)
    {
        var authentication = context.Authentication;
        if (authentication.Dmarc is not { Record: { AggregateReports.Count: > 0 } record, PolicyDomain: { } policyDomain, FromDomain: { } fromDomain } dmarc)
        {
            return null;
        }

        var disposition = action switch
        {
            VerdictAction.Reject => "reject",
            VerdictAction.Quarantine or VerdictAction.Tag => "quarantine",
            _ => "none",
        };
        var envelopeFrom = context.Envelope.From is { } from ? from[(from.LastIndexOf('@') + 1)..] : context.Envelope.HeloName;
        var spf = authentication.Spf;
        var row = new DmarcReportRow(
            context.Envelope.ClientAddress.ToString(),
            disposition,
            dmarc.DkimAligned ? "pass" : "fail",
            dmarc.SpfAligned ? "pass" : "fail",
            fromDomain.ToLowerInvariant(),
            envelopeFrom.ToLowerInvariant(),
            [.. (authentication.Dkim ?? []).Select(signature => new DmarcDkimResult(signature.Domain.ToLowerInvariant(), signature.Selector, AuthenticationOutcome.Word(signature.Result)))],
            (spf?.Domain ?? envelopeFrom).ToLowerInvariant(),
            context.Envelope.From is null ? "helo" : "mfrom",
            spf is null ? "none" : spf.Result.ToString().ToLowerInvariant());
        var published = new DmarcPublished(policyDomain.ToLowerInvariant(), record.StrictDkim ? "s" : "r", record.StrictSpf ? "s" : "r",
            Word(record.Policy), Word(record.SubdomainPolicy), Word(record.NonexistentPolicy), record.Testing, record.AggregateReports);
        return new DmarcObservation(now, published, row);
    }

    private static string Word(DmarcPolicy policy) => policy.ToString().ToLowerInvariant();
}
