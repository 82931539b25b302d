using System.Globalization;

namespace Gateway.Core.Rules;

/// <summary>
/// Domains made to be mistaken for one of ours: "examp1e.test", "exarnple.test", "еxample.test" (Cyrillic е,
/// arriving as punycode xn--...), "example-test.com"-style near misses. A domain is a lookalike when it is
/// not one of ours, yet after undoing punycode and folding characters that look alike (0/o, 1/l/i, rn/m,
/// vv/w, Cyrillic and Greek letters that render as Latin) it is one of ours, or is within two edits of one.
/// </summary>
internal static class Lookalike
{
    private static readonly (string From, string To)[] Confusables =
    [
        ("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"), ("|", "l"), ("5", "s"),
        ("а", "a"), ("е", "e"), ("о", "o"), ("р", "p"), ("с", "c"), ("х", "x"), ("у", "y"), ("і", "l"), ("ј", "j"), ("ѕ", "s"),
        ("α", "a"), ("ο", "o"), ("ρ", "p"), ("ν", "v"), ("τ", "t"),
    ];

    private static readonly IdnMapping Idn = new();

    /// <summary>
    /// A test against our domains, their skeletons folded once (per rule load): the test itself runs for
    /// every message's From domain.
    /// </summary>
    public static Func<string, bool> Of(IReadOnlySet<string> ours)
    {
        var skeletons = ours.Select(own => (Skeleton: Skeleton(own), Long: own.Length >= 6)).ToList();
        return domain =>
        {
            var candidate = domain.Trim().TrimEnd('.').ToLowerInvariant();
            if (candidate.Length == 0 || ours.Contains(candidate))
            {
                return false;
            }

            var skeleton = Skeleton(Unicode(candidate));
            return skeletons.Any(own => skeleton == own.Skeleton || (own.Long && EditDistanceAtMost(skeleton, own.Skeleton, 2)));
        };
    }

    private static string Unicode(string domain)
    {
        try
        {
            return Idn.GetUnicode(domain);
        }
        catch (ArgumentException)
        {
            return domain;
        }
    }

    private static string Skeleton(string domain)
    {
        var folded = domain.ToLowerInvariant();
        foreach (var (from, to) in Confusables)
        {
            folded = folded.Replace(from, to, StringComparison.Ordinal);
        }

        return folded;
    }

    /// <summary>Levenshtein distance, stopped as soon as it must exceed <paramref name="limit"/>.</summary>
    private static bool EditDistanceAtMost(string a, string b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) > limit)
        {
            return false;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var best = current[0];
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                best = Math.Min(best, current[j]);
            }

            if (best > limit)
            {
                return false;
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length] <= limit;
    }
}
