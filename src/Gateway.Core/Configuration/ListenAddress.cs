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

        if (IPAddress.TryParse(text, out var bare) && defaultPort > 0)
        {
            endPoint = new IPEndPoint(bare, defaultPort);
            return true;
        }

        return IPEndPoint.TryParse(text, out endPoint) && endPoint.Port > 0;
    }
}
