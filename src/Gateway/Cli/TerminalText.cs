using System.Text;

namespace Gateway.Cli;

/// <summary>
/// Text from a message (a Subject, a From, an envelope address) made safe for a terminal and a log line:
/// C0 and C1 control characters (ESC sequences set a terminal's title, clear its screen, colour a fake line;
/// CR and LF forge log lines), DEL, and the bidirectional controls that make text read in another order than
/// it is stored (U+202E turns "gpj.exe" into "exe.jpg") are written as visible escapes, \x1b or \u202e.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string? text) => Escape(text, json: false);

    /// <summary>
    /// For JSON already serialized: the serializer escapes C0 itself; C1 and the bidi controls it lets through
    /// inside strings become \uXXXX, which is the same string to a JSON reader.
    /// </summary>
    public static string EscapeJson(string json) => Escape(json, json: true);

    /// <summary>Keeps line breaks and tabs (a message's own lines), escaping everything else <see cref="Escape(string?)"/> does.</summary>
    public static string EscapeKeepingLines(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
        {
            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            var content = line.EndsWith('\r') ? line[..^1] : line;
            builder.Append(string.Join('\t', content.Split('\t').Select(Escape)));
        }

        return builder.ToString();
    }

    public static bool IsUnsafe(char c) =>
        c < 0x20 || c is >= '\u007f' and <= '\u009f' || c is '\u061c' or '\u200e' or '\u200f' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069';

    private static string Escape(string? text, bool json)
    {
        // In serialized JSON, C0 is either escaped already or the indentation between tokens.
        bool Unsafe(char c) => IsUnsafe(c) && !(json && c < 0x20);
        if (string.IsNullOrEmpty(text) || !text.Any(Unsafe))
        {
            return text ?? string.Empty;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!Unsafe(c))
            {
                builder.Append(c);
            }
            else if (json || c > '\u00ff')
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
        }

        return builder.ToString();
    }
}
