namespace Gateway.Core.Content;

/// <summary>Where the words of a text are: runs of letters and digits, everything else separating them.</summary>
public static class TextWords
{
    /// <summary>Each run of letters and digits as (start, length), in order.</summary>
    public static IEnumerable<(int Start, int Length)> Runs(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return (start, i - start);
                start = -1;
            }
        }
    }
}
