using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;

namespace Gateway.Core.DmarcReports;

/// <summary>Who we are in reports (dmarc_reports: org_name, from, contact).</summary>
public sealed record DmarcReporterIdentity(string OrgName, string Email, string? Contact);

/// <summary>
/// An aggregate report (RFC 7489 Appendix C; the elements DMARCbis keeps), one per policy domain and period,
/// and its gzip. No XML namespace on the root: that is the form receivers' parsers take (what large reporters
/// send), and it validates against the schema's types (tests/.../DmarcReportTests validate it with xmllint).
/// </summary>
public static class DmarcReportXml
{
    public static XDocument Build(DmarcReporterIdentity reporter, string reportId, DateTimeOffset begin, DateTimeOffset end, DmarcPublished policy, IReadOnlyList<(DmarcReportRow Row, long Count)> rows)
    {
        var published = new XElement("policy_published",
            new XElement("domain", policy.Domain),
            new XElement("adkim", policy.Adkim),
            new XElement("aspf", policy.Aspf),
            new XElement("p", policy.P),
            new XElement("sp", policy.Sp),
            new XElement("np", policy.Np));
        if (policy.Testing)
        {
            published.Add(new XElement("t", "y"));
        }

        return new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement("feedback",
            new XElement("report_metadata",
                new XElement("org_name", reporter.OrgName),
                new XElement("email", reporter.Email),
                reporter.Contact is { Length: > 0 } contact ? new XElement("extra_contact_info", contact) : null,
                new XElement("report_id", reportId),
                new XElement("date_range",
                    new XElement("begin", begin.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
                    new XElement("end", end.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)))),
            published,
            rows.Select(entry => Record(entry.Row, entry.Count))));
    }

    private static XElement Record(DmarcReportRow row, long count) => new("record",
        new XElement("row",
            new XElement("source_ip", row.SourceIp),
            new XElement("count", count.ToString(CultureInfo.InvariantCulture)),
            new XElement("policy_evaluated",
                new XElement("disposition", row.Disposition),
                new XElement("dkim", row.Dkim),
                new XElement("spf", row.Spf))),
        new XElement("identifiers",
            new XElement("envelope_from", row.EnvelopeFrom),
            new XElement("header_from", row.HeaderFrom)),
        new XElement("auth_results",
            row.DkimResults.Select(dkim => new XElement("dkim",
                new XElement("domain", dkim.Domain),
                new XElement("selector", dkim.Selector),
                new XElement("result", dkim.Result))),
            new XElement("spf",
                new XElement("domain", row.SpfDomain),
                new XElement("scope", row.SpfScope),
                new XElement("result", row.SpfResult))));

    /// <summary>The report as sent: UTF-8 XML, gzipped.</summary>
    public static byte[] Gzip(XDocument report)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            report.Save(gzip, SaveOptions.DisableFormatting);
        }

        return buffer.ToArray();
    }

    /// <summary>RFC 7489 7.2.1.1's file name: receiver!policy-domain!begin!end.xml.gz.</summary>
    public static string FileName(string receiver, string policyDomain, DateTimeOffset begin, DateTimeOffset end) =>
        FormattableString.Invariant($"{receiver}!{policyDomain}!{begin.ToUnixTimeSeconds()}!{end.ToUnixTimeSeconds()}.xml.gz");
}
