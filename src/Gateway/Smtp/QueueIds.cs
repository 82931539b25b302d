namespace Gateway.Smtp;

/// <summary>Short ids for our Received header and log lines, like Postfix's queue ids: easy to grep, no meaning.</summary>
internal static class QueueIds
{
    private const string Alphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZ";

    /// <summary>
    /// 31^12 (about 2^59) values: unique enough to grep for, and nothing depends on their being unguessable,
    /// so the shared non-cryptographic generator serves (the cryptographic one made several system calls per id).
    /// </summary>
    public static string Next() => new(Random.Shared.GetItems<char>(Alphabet, 12));
}
