using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;

namespace Gateway.Core.Authentication.Dkim;

/// <summary>
/// rsa-sha256 signatures verified on the raw message with .NET's SHA-256 and RSA (OpenSSL). MimeKit's
/// verifier hashes with BouncyCastle's managed SHA-256 and checks the signature with BouncyCastle's
/// BigInteger, whose Montgomery set-up divides bit by bit: about 0.3 ms of CPU per 2048-bit signature,
/// the gateway's largest single item with DNS on (bench/RESULTS.md, "Profile with DNS and TLS").
/// <para>
/// Only a pass is taken from here. Anything else — the signature or body hash not verifying, l=, rsa-sha1,
/// a short key, bare CR or LF in the message, h= without From — answers false, and the caller asks MimeKit,
/// whose answer is the one reported. So this path can make no signature fail that MimeKit passes, and it
/// passes only what the signer's key signed: the RSA signature binds the exact bytes hashed here.
/// </para>
/// </summary>
public static class DkimFastPath
{
    private const string SignatureFieldName = "DKIM-Signature";

    /// <summary>
    /// A raw message as this path reads it, read once and shared by all its signatures: its header fields (and
    /// which are DKIM-Signature fields, top first) and where its body starts.
    /// </summary>
    public sealed class RawMessage
    {
        internal RawMessage(ReadOnlyMemory<byte> bytes, int headerEnd, List<Field> fields)
        {
            (Bytes, HeaderEnd, Fields) = (bytes, headerEnd, fields);
            Signatures = [.. fields.Where(field => field.Name.Equals(SignatureFieldName, StringComparison.OrdinalIgnoreCase))];
        }

        internal ReadOnlyMemory<byte> Bytes { get; }

        /// <summary>Where the CRLF CRLF that ends the header starts.</summary>
        internal int HeaderEnd { get; }

        internal List<Field> Fields { get; }

        internal List<Field> Signatures { get; }

        internal ReadOnlySpan<byte> Body => Bytes.Span[(HeaderEnd + 4)..];
    }

    /// <summary>
    /// The message as this path reads it; null when it does not take the message at all: no empty line ending
    /// the header, a CR not followed by LF or an LF not preceded by CR (MimeKit reads such lines its own way), or
    /// a header block that does not read as the same fields in the same order as MimeKit's message (the top
    /// level's Content-* fields aside: MimeKit keeps those on the body) — what this path hashes as From must be
    /// the From every other check and the reader see.
    /// </summary>
    /// <param name="raw">The message as received: header, CRLF CRLF, body.</param>
    public static RawMessage? Read(ReadOnlyMemory<byte> raw, MimeKit.MimeMessage message)
    {
        var end = raw.Span.IndexOf("\r\n\r\n"u8);
        if (end < 0 || !Pipeline.MessageBytes.IsCrlfOnly(raw.Span))
        {
            return null;
        }

        var fields = Fields(raw.Span[..(end + 2)]);
        static bool Kept(string name) => !name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase);
        var ours = fields.Select(field => field.Name).Where(Kept).ToList();
        var theirs = message.Headers.Select(header => header.Field).Where(Kept).ToList();
        return ours.Count == theirs.Count && ours.Zip(theirs).All(pair => pair.First.Equals(pair.Second, StringComparison.OrdinalIgnoreCase))
            ? new RawMessage(raw, end, fields)
            : null;
    }

    /// <summary>Whether the <paramref name="index"/>-th DKIM-Signature field (from the top) verifies with <paramref name="key"/>: body hash, then signature.</summary>
    public static bool Verifies(RawMessage raw, int index, IReadOnlyDictionary<string, string> tags, RsaKeyParameters key) =>
        BodyHashMatches(raw, tags) && SignatureVerifies(raw, index, tags, key);

    /// <summary>
    /// Whether this path takes the signature (rsa-sha256, no l=, a known c=) and the body hash matches bh=: checked
    /// before the key is looked up, as MimeKit does, so a broken body costs no DNS query.
    /// </summary>
    public static bool BodyHashMatches(RawMessage raw, IReadOnlyDictionary<string, string> tags) =>
        Takes(tags, out _, out var relaxedBody) && TryBase64(tags["bh"], out var expected)
        && BodyHash(raw.Body, relaxedBody).AsSpan().SequenceEqual(expected);

    /// <summary>Whether the signature over the signed header fields verifies with <paramref name="key"/> (the body hash checked apart).</summary>
    public static bool SignatureVerifies(RawMessage raw, int index, IReadOnlyDictionary<string, string> tags, RsaKeyParameters key)
    {
        var signed = tags.GetValueOrDefault("h")?.Split(':', StringSplitOptions.TrimEntries) ?? [];
        if (!Takes(tags, out var relaxedHeaders, out _) || key.Modulus.BitLength < 1024 || !TryBase64(tags["b"], out var signatureBytes)
            || !signed.Contains("from", StringComparer.OrdinalIgnoreCase) || index < 0 || index >= raw.Signatures.Count)
        {
            return false;
        }

        var bytes = raw.Bytes.Span;
        var fields = raw.Fields;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var used = new HashSet<int>();
        foreach (var name in signed)
        {
            // The bottom-most instance not yet used (RFC 6376 5.4.2); a name with none left adds nothing.
            for (var i = fields.Count - 1; i >= 0; i--)
            {
                if (!used.Contains(i) && fields[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    used.Add(i);
                    hash.AppendData(Canonical(bytes[fields[i].Start..fields[i].End], relaxedHeaders, crlf: true));
                    break;
                }
            }
        }

        var signature = raw.Signatures[index];
        hash.AppendData(Canonical(WithoutSignatureValue(bytes[signature.Start..signature.End]), relaxedHeaders, crlf: false));
        var digest = hash.GetHashAndReset();
        var rsa = Imported.GetValue(key, Import);
        lock (rsa)
        {
            // One verification at a time per key object: .NET does not promise that an RSA instance is thread-safe.
            return rsa.VerifyHash(digest, signatureBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    /// <summary>
    /// The key imported into OpenSSL once per parsed key (DkimKeyCache keeps those): an import costs about 170 µs,
    /// more than the verification itself, and lives as long as the parsed key does.
    /// </summary>
    private static readonly ConditionalWeakTable<RsaKeyParameters, RSA> Imported = new();

    private static RSA Import(RsaKeyParameters key) =>
        RSA.Create(new RSAParameters { Modulus = key.Modulus.ToByteArrayUnsigned(), Exponent = key.Exponent.ToByteArrayUnsigned() });

    /// <summary>What this path verifies: rsa-sha256 without l=, with h=, bh= and b=, and a c= it knows.</summary>
    private static bool Takes(IReadOnlyDictionary<string, string> tags, out bool relaxedHeaders, out bool relaxedBody)
    {
        (relaxedHeaders, relaxedBody) = (false, false);
        if (tags.GetValueOrDefault("a") is not { } a || !a.Equals("rsa-sha256", StringComparison.OrdinalIgnoreCase)
            || tags.ContainsKey("l") || !tags.ContainsKey("h") || !tags.ContainsKey("bh") || !tags.ContainsKey("b")
            || Canonicalization(tags.GetValueOrDefault("c")) is not (var headers, var body))
        {
            return false;
        }

        (relaxedHeaders, relaxedBody) = (headers, body);
        return true;
    }

    /// <summary>c= as (relaxed headers, relaxed body); null for a value that is neither simple nor relaxed.</summary>
    private static (bool, bool)? Canonicalization(string? c)
    {
        var parts = (c ?? "simple/simple").ToLowerInvariant().Split('/');
        static bool? Relaxed(string part) => part switch { "relaxed" => true, "simple" => false, _ => null };
        return parts.Length switch
        {
            1 when Relaxed(parts[0]) is { } header => (header, false),
            2 when Relaxed(parts[0]) is { } header && Relaxed(parts[1]) is { } body => (header, body),
            _ => null,
        };
    }

    internal readonly record struct Field(int Start, int End, string Name);

    /// <summary>Each header field: its name, and [Start, End) from the name through its last continuation line, without the final CRLF.</summary>
    private static List<Field> Fields(ReadOnlySpan<byte> header)
    {
        var fields = new List<Field>();
        var start = 0;
        while (start < header.Length)
        {
            var end = start;
            do
            {
                end += header[end..].IndexOf("\r\n"u8) + 2;
            }
            while (end < header.Length && header[end] is (byte)' ' or (byte)'\t');

            var text = header[start..(end - 2)];
            var colon = text.IndexOf((byte)':');
            fields.Add(new Field(start, end - 2, colon < 0 ? string.Empty : Encoding.Latin1.GetString(text[..colon].TrimEnd(" \t"u8))));
            start = end;
        }

        return fields;
    }

    /// <summary>
    /// A header field canonicalised (RFC 6376 3.4.1-2): simple as it is; relaxed with the name in lower case, the
    /// value unfolded, runs of spaces and tabs made one space, none before or after the colon or at the end.
    /// </summary>
    private static byte[] Canonical(ReadOnlySpan<byte> field, bool relaxed, bool crlf)
    {
        var output = new List<byte>(field.Length + 2);
        if (!relaxed)
        {
            output.AddRange(field);
        }
        else
        {
            var colon = field.IndexOf((byte)':');
            foreach (var c in field[..colon].TrimEnd(" \t"u8))
            {
                output.Add(c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c + 32) : c);
            }

            output.Add((byte)':');
            var valueStart = output.Count;
            var space = false;
            foreach (var c in field[(colon + 1)..])
            {
                if (c is (byte)'\r' or (byte)'\n')
                {
                    continue;
                }

                if (c is (byte)' ' or (byte)'\t')
                {
                    space = true;
                    continue;
                }

                if (space && output.Count > valueStart)
                {
                    output.Add((byte)' ');
                }

                space = false;
                output.Add(c);
            }
        }

        if (crlf)
        {
            output.Add((byte)'\r');
            output.Add((byte)'\n');
        }

        return [.. output];
    }

    /// <summary>The signature field with the b= tag's value (and the white space around it) taken out (RFC 6376 3.7).</summary>
    private static byte[] WithoutSignatureValue(ReadOnlySpan<byte> field)
    {
        var output = new List<byte>(field.Length);
        var colon = field.IndexOf((byte)':');
        output.AddRange(field[..(colon + 1)]);
        var rest = field[(colon + 1)..];
        while (!rest.IsEmpty)
        {
            var semicolon = rest.IndexOf((byte)';');
            var tag = semicolon < 0 ? rest : rest[..semicolon];
            var equals = tag.IndexOf((byte)'=');
            var isB = equals > 0 && IsJustB(tag[..equals]);
            output.AddRange(isB ? tag[..(equals + 1)] : tag);
            if (semicolon < 0)
            {
                break;
            }

            output.Add((byte)';');
            rest = rest[(semicolon + 1)..];
        }

        return [.. output];
    }

    private static bool IsJustB(ReadOnlySpan<byte> name)
    {
        var letters = 0;
        foreach (var c in name)
        {
            if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (c != 'b' || ++letters > 1)
            {
                return false;
            }
        }

        return letters == 1;
    }

    /// <summary>SHA-256 of the body canonicalised (RFC 6376 3.4.3-4), every line ending in CRLF (checked by the caller).</summary>
    private static byte[] BodyHash(ReadOnlySpan<byte> body, bool relaxed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (!relaxed)
        {
            // Simple: trailing empty lines go; an empty body, or one without a final CRLF, gets one.
            var end = body.Length;
            while (end >= 4 && body[(end - 4)..end].SequenceEqual("\r\n\r\n"u8))
            {
                end -= 2;
            }

            if (end == 2 && body[..2].SequenceEqual("\r\n"u8))
            {
                end = 0;
            }

            hash.AppendData(body[..end]);
            if (end < 2 || !body[(end - 2)..end].SequenceEqual("\r\n"u8))
            {
                hash.AppendData("\r\n"u8);
            }

            return hash.GetHashAndReset();
        }

        // Relaxed: in each line runs of spaces and tabs become one space and none end a line; trailing empty lines go.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length + 2, 16));
        try
        {
            var length = 0;
            var emptyLines = 0;
            var at = 0;
            while (at < body.Length)
            {
                var next = body[at..].IndexOf("\r\n"u8);
                var line = next < 0 ? body[at..] : body[at..(at + next)];
                at = next < 0 ? body.Length : at + next + 2;
                var lineStart = length;
                var space = false;
                foreach (var c in line)
                {
                    if (c is (byte)' ' or (byte)'\t')
                    {
                        space = true;
                        continue;
                    }

                    if (space)
                    {
                        buffer[length++] = (byte)' ';
                    }

                    space = false;
                    buffer[length++] = c;
                }

                if (length == lineStart)
                {
                    emptyLines++;
                    continue;
                }

                // A line with text: the empty lines before it were not trailing after all.
                if (emptyLines > 0)
                {
                    var text = buffer.AsSpan(lineStart, length - lineStart).ToArray();
                    for (var i = 0; i < emptyLines; i++)
                    {
                        buffer[lineStart + (2 * i)] = (byte)'\r';
                        buffer[lineStart + (2 * i) + 1] = (byte)'\n';
                    }

                    text.CopyTo(buffer, lineStart + (2 * emptyLines));
                    length += 2 * emptyLines;
                    emptyLines = 0;
                }

                buffer[length++] = (byte)'\r';
                buffer[length++] = (byte)'\n';
            }

            hash.AppendData(buffer, 0, length);
            return hash.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool TryBase64(string value, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(value);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
