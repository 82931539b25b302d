namespace Gateway.Core.Authentication.Dkim;

/// <summary>
/// tag=value lists (RFC 6376 3.2), for reading d=, s=, a=, l= and x= ourselves: MimeKit's verifier tells
/// pass or fail but not which domain signed, and DMARC alignment needs exactly that.
/// </summary>
public static class DkimTags
{
    /// <summary>
    /// Header fields one signature may list in h= before it is refused unverified. Every name is looked up among the
    /// header's fields, so h= is a loop of its own: within the header limits (256 KB, 1,000 fields) 20,000 names cost
    /// 0.6 s of CPU per signature, in MimeKit's verifier and ours alike. Real signers list 5 to a few dozen (oversigned
    /// sets included).
    /// </summary>
    public const int MaxSignedFields = 200;

    /// <summary>How many header fields the h= tag lists (0 without one).</summary>
    public static int SignedFieldCount(IReadOnlyDictionary<string, string> tags) =>
        tags.GetValueOrDefault("h") is { Length: > 0 } h ? h.Count(c => c == ':') + 1 : 0;

    public static Dictionary<string, string> Parse(string value)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(';'))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            var name = part[..equals].Trim();
            var tagValue = new string([.. part[(equals + 1)..].Where(c => !char.IsWhiteSpace(c))]);
            tags.TryAdd(name, tagValue);
        }

        return tags;
    }
}
