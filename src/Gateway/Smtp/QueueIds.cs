using System.Security.Cryptography;

namespace Gateway.Smtp;

/// <summary>Short ids for our Received header and log lines, like Postfix's queue ids: easy to grep, no meaning.</summary>
internal static class QueueIds
{
    private const string Alphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZ";

    public static string Next() => RandomNumberGenerator.GetString(Alphabet, 12);
}
