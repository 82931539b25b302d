namespace Gateway.Core.Authentication.Dkim;

/// <summary>
/// tag=value lists (RFC 6376 3.2), for reading d=, s=, a=, l= and x= ourselves: MimeKit's verifier tells
/// pass or fail but not which domain signed, and DMARC alignment needs exactly that.
/// </summary>
public static class DkimTags
{
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
