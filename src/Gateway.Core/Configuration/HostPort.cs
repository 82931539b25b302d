namespace Gateway.Core.Configuration;

/// <summary>"host:port", "[v6]:port" or "host" as config values name servers (clamd, Redis): one reading for the check and the client.</summary>
public static class HostPort
{
    public static (string Host, int Port) Parse(string text, int defaultPort)
    {
        var colon = text.LastIndexOf(':');
        var port = colon > 0 && int.TryParse(text.AsSpan(colon + 1), out var parsed) ? parsed : defaultPort;
        return (colon > 0 ? text[..colon].Trim('[', ']') : text, port);
    }
}
