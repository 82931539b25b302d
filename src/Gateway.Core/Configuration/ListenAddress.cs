namespace Gateway.Core.Configuration;

/// <summary>Parses <c>127.0.0.1:2525</c>, <c>[::1]:2525</c> or a bare address with a default port.</summary>
public static class ListenAddress
{
    public static bool TryParse(string? text, int defaultPort, out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (!IPEndPoint.TryParse(text, out endPoint))
        {
            return false;
        }

        // "127.0.0.1" and "[::1]" parse with port 0: that means the default port, where there is one.
        if (endPoint.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal))
        {
            endPoint.Port = defaultPort;
        }

        // An explicit port 0 asks the system for a free port (tests listen that way).
        return endPoint.Port > 0 || text.EndsWith(":0", StringComparison.Ordinal);
    }
}
