using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Core.Authentication.Spf;

/// <summary>The facts macros expand to (RFC 7208 section 7.2).</summary>
internal sealed record SpfMacroContext(string Sender, string LocalPart, string SenderDomain, string Domain, IPAddress Client, string Helo, string ReceivingHost)
{
    /// <summary>%{p}, resolved lazily because it costs DNS queries and is rarely used.</summary>
    public Func<Task<string>>? ValidatedName { get; init; }

    /// <summary>The evaluation's: a client that leaves stops the expansion too.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>SPF macro-string syntax and expansion (RFC 7208 section 7).</summary>
internal static class SpfMacro
{
    private const string Delimiters = ".-+,/_=";

    /// <summary>
    /// What one expansion may produce. A domain keeps only its right-most 253 characters and a real
    /// explanation is a sentence, but a record of 200 %{l} over a 1 KB local part would build 200 KB (a
    /// 64 KB TXT record, megabytes): past this it is a processing limit (RFC 7208 4.6.4), permerror.
    /// </summary>
    internal const int MaxExpansion = 8 * 1024;

    /// <summary>Checks syntax only; the record is refused before evaluation if any macro is wrong.</summary>
    public static void Validate(string text, bool isExplanation) => Walk(text, isExplanation, context: null, output: null).GetAwaiter().GetResult();

    public static Task<string> ExpandAsync(string text, SpfMacroContext context, bool isExplanation = false) =>
        Expand(text, isExplanation, context);

    private static async Task<string> Expand(string text, bool isExplanation, SpfMacroContext context)
    {
        var output = new StringBuilder(text.Length + 32);
        await Walk(text, isExplanation, context, output);
        return output.ToString();
    }

    private static async Task Walk(string text, bool isExplanation, SpfMacroContext? context, StringBuilder? output)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E; an explanation may also hold spaces.
                if (c is < (char)0x21 or > (char)0x7E && !(isExplanation && c == ' '))
                {
                    throw new SpfSyntaxException($"character 0x{(int)c:X2} is not allowed in '{text}'");
                }

                output?.Append(c);
                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw new SpfSyntaxException($"'%' at the end of '{text}'");
            }

            var next = text[++i];
            switch (next)
            {
                case '%':
                    output?.Append('%');
                    continue;
                case '_':
                    output?.Append(' ');
                    continue;
                case '-':
                    output?.Append("%20");
                    continue;
                case '{':
                    break;
                default:
                    throw new SpfSyntaxException($"'%{next}' is not a macro in '{text}'");
            }

            var close = text.IndexOf('}', i);
            if (close < 0)
            {
                throw new SpfSyntaxException($"unterminated macro in '{text}'");
            }

            var macro = text[(i + 1)..close];
            i = close;
            context?.CancellationToken.ThrowIfCancellationRequested();
            var expanded = await ExpandOne(macro, isExplanation, context);
            output?.Append(expanded);
            if (output?.Length > MaxExpansion)
            {
                throw new SpfLimitException($"macro expansion longer than {MaxExpansion} characters");
            }
        }
    }

    /// <summary>macro-letter transformers *delimiter.</summary>
    private static async Task<string> ExpandOne(string macro, bool isExplanation, SpfMacroContext? context)
    {
        if (macro.Length == 0)
        {
            throw new SpfSyntaxException("empty macro");
        }

        var letter = macro[0];
        var lower = char.ToLowerInvariant(letter);
        if ("slodiphv".IndexOf(lower) < 0 && !(isExplanation && "crt".IndexOf(lower) >= 0))
        {
            throw new SpfSyntaxException($"'%{{{macro}}}' is not a valid macro here");
        }

        var position = 1;
        var digits = 0;
        var hasDigits = false;
        while (position < macro.Length && char.IsAsciiDigit(macro[position]))
        {
            digits = (digits * 10) + (macro[position] - '0');
            hasDigits = true;
            position++;
            if (digits > 128)
            {
                digits = 128;
            }
        }

        if (hasDigits && digits == 0)
        {
            throw new SpfSyntaxException($"'%{{{macro}}}': the number of parts must not be 0");
        }

        var reverse = position < macro.Length && char.ToLowerInvariant(macro[position]) == 'r';
        if (reverse)
        {
            position++;
        }

        var delimiters = macro[position..];
        if (delimiters.Any(d => Delimiters.IndexOf(d) < 0))
        {
            throw new SpfSyntaxException($"'%{{{macro}}}' has an invalid delimiter");
        }

        if (context is null)
        {
            return string.Empty;
        }

        var value = await ValueOf(lower, context);
        var parts = value.Split(delimiters.Length == 0 ? ['.'] : delimiters.ToCharArray());
        if (reverse)
        {
            Array.Reverse(parts);
        }

        if (hasDigits && digits < parts.Length)
        {
            parts = parts[^digits..];
        }

        var joined = string.Join('.', parts);
        return char.IsUpper(letter) ? Uri.EscapeDataString(joined) : joined;
    }

    private static async Task<string> ValueOf(char letter, SpfMacroContext context) => letter switch
    {
        's' => context.Sender,
        'l' => context.LocalPart,
        'o' => context.SenderDomain,
        'd' => context.Domain,
        'i' => DottedAddress(context.Client),
        'p' => context.ValidatedName is null ? "unknown" : await context.ValidatedName(),
        'v' => context.Client.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
        'h' => context.Helo,
        'c' => context.Client.ToString(),
        'r' => context.ReceivingHost,
        't' => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        _ => throw new SpfSyntaxException($"unknown macro letter '{letter}'"),
    };

    /// <summary>%{i}: dotted quad for IPv4, dot-separated nibbles for IPv6 (section 7.3).</summary>
    private static string DottedAddress(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Join('.', Convert.ToHexStringLower(address.GetAddressBytes()).ToCharArray())
            : address.ToString();
}
