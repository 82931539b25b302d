using System.Text;

namespace Gateway.Core.Pipeline;

/// <summary>An SMTP reply as the client will see it: <c>550 5.7.1 text</c>. Errors are values, not exceptions.</summary>
public sealed record SmtpReply(int Code, string EnhancedCode, string Text)
{
    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    public override string ToString() => $"{Code} {EnhancedCode} {Text}";

    /// <summary>
    /// A downstream reply passed on to our client: keep code and enhanced code, reduce the text to one
    /// printable ASCII line (it crosses a trust boundary and must not break our own reply syntax).
    /// </summary>
    public static SmtpReply FromDownstream(int code, string? enhancedCode, string text)
    {
        var clean = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text)
        {
            if (clean.Length == 200)
            {
                break;
            }

            clean.Append(c is >= ' ' and < (char)127 ? c : ' ');
        }

        return new SmtpReply(code, enhancedCode ?? DefaultEnhancedCode(code), clean.ToString().Trim());
    }

    /// <summary>
    /// A refusal as an operator wrote it in a rule's <c>reply:</c> — <c>"[CODE ][X.Y.Z ]text"</c>, e.g.
    /// <c>"554 5.7.9 Not accepted here"</c> — with the action's usual codes where it gives none (550 5.7.1 for
    /// a permanent refusal, 451 4.7.1 for a temporary one). A code of the wrong class is a problem, not a guess.
    /// </summary>
    public static (SmtpReply? Reply, string? Problem) Configured(string text, bool permanent)
    {
        var (code, enhanced, rest) = (permanent ? 550 : 451, permanent ? "5.7.1" : "4.7.1", text.Trim());
        if (rest.Length >= 3 && rest[..3].All(char.IsAsciiDigit) && (rest.Length == 3 || rest[3] == ' '))
        {
            code = int.Parse(rest[..3], System.Globalization.CultureInfo.InvariantCulture);
            if (code / 100 != (permanent ? 5 : 4))
            {
                return (null, $"reply code {code} does not fit the action (a {(permanent ? "reject takes 5xx" : "tempfail takes 4xx")})");
            }

            rest = rest[3..].TrimStart();
        }

        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var first = space < 0 ? rest : rest[..space];
        var parts = first.Split('.');
        if (parts.Length == 3 && parts.All(part => part.Length is >= 1 and <= 3 && part.All(char.IsAsciiDigit)))
        {
            if (parts[0] != (code / 100).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return (null, $"enhanced status code {first} does not fit reply code {code} (its first digit is the code's class)");
            }

            (enhanced, rest) = (first, space < 0 ? string.Empty : rest[(space + 1)..].Trim());
        }

        return rest.Length == 0 ? (null, "reply needs a text after its codes") : (new SmtpReply(code, enhanced, rest), null);
    }

    private static string DefaultEnhancedCode(int code) => code switch
    {
        < 300 => "2.0.0",
        < 500 => "4.0.0",
        _ => "5.0.0",
    };
}
