using System.Text;

namespace Gateway.Core.Delivery;

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

    private static string DefaultEnhancedCode(int code) => code switch
    {
        < 300 => "2.0.0",
        < 500 => "4.0.0",
        _ => "5.0.0",
    };
}
