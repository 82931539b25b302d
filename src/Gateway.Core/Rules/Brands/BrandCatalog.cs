using Gateway.Core.Configuration;
using YamlDotNet.RepresentationModel;

namespace Gateway.Core.Rules.Brands;

/// <summary>One brand: the words that name it and the registered domains it really sends from and links to.</summary>
public sealed record Brand(string Name, IReadOnlyList<string> Domains)
{
    /// <summary>Whether a host (a From domain, a link's host) is one of the brand's domains or under one.</summary>
    public bool Owns(string host)
    {
        var name = host.Trim().TrimEnd('.').ToLowerInvariant();
        return Domains.Any(domain => name == domain || name.EndsWith("." + domain, StringComparison.Ordinal));
    }
}

/// <summary>
/// rules/brands.yaml: the brands phishing impersonates, and which names in a text name them. Names are
/// matched as whole words (a sequence of words for "bank of america"): each text is cut into words once and
/// every word looked up in a table, so a few hundred brands cost one pass, whatever their number. Before
/// matching, styled letters become plain ones (mathematical bold or sans Walmart is Walmart) and, for the names
/// that ignore case, folded to its look-alike skeleton (WaImart with a capital i, Wаlmart with a Cyrillic а);
/// a name of several words also matches written as one ("BlueShield", "TMobile").
/// </summary>
public sealed class BrandCatalog
{
    public const string FileName = "brands.yaml";

    public static readonly BrandCatalog Empty = new([], new(StringComparer.Ordinal), new(StringComparer.Ordinal), []);

    /// <summary>First word (lower case) → the names starting with it (all their words, lower case), with their brand.</summary>
    private readonly Dictionary<string, List<(string[] Words, Brand Brand)>> _anyCase;

    /// <summary>First word as written → the exact-case names starting with it.</summary>
    private readonly Dictionary<string, List<(string[] Words, Brand Brand)>> _exact;

    private BrandCatalog(IReadOnlyList<Brand> brands, Dictionary<string, List<(string[] Words, Brand Brand)>> anyCase, Dictionary<string, List<(string[] Words, Brand Brand)>> exact, IReadOnlyList<string> sharedSenders)
    {
        Brands = brands;
        SharedSenders = new Brand("shared senders", sharedSenders);
        _anyCase = anyCase;
        _exact = exact;
    }

    public IReadOnlyList<Brand> Brands { get; }

    /// <summary>shared_senders: bulk-mail services' and lists' own domains (its Owns says whether a From domain is one).</summary>
    public Brand SharedSenders { get; }

    /// <summary>The brands a text names, each once, in the order they first appear.</summary>
    public IReadOnlyList<Brand> Named(string text)
    {
        if (Brands.Count == 0 || string.IsNullOrEmpty(text))
        {
            return [];
        }

        var words = Words(PlainLetters(text));
        var lower = words.Select(Fold).ToArray();
        var found = new List<Brand>();
        for (var i = 0; i < words.Count; i++)
        {
            Match(_anyCase, lower, i, found);
            Match(_exact, words, i, found);
        }

        return found;
    }

    private static void Match(Dictionary<string, List<(string[] Words, Brand Brand)>> table, IReadOnlyList<string> words, int at, List<Brand> found)
    {
        if (!table.TryGetValue(words[at], out var candidates))
        {
            return;
        }

        foreach (var (name, brand) in candidates)
        {
            if (at + name.Length <= words.Count && !found.Contains(brand) && name.Select((word, k) => words[at + k] == word).All(same => same))
            {
                found.Add(brand);
            }
        }
    }

    /// <summary>Letters and digits make words; everything else separates them ("AT&amp;T" is "AT" "T", "Lowe's" is "Lowe" "s").</summary>
    public static List<string> Words(string text) => [.. Content.TextWords.Runs(text).Select(run => text.Substring(run.Start, run.Length))];

    /// <summary>The folder's brands.yaml, or <see cref="Empty"/> when there is none; mistakes go to <paramref name="errors"/> as file:line:col.</summary>
    public static BrandCatalog LoadFolder(string folder, List<string> errors)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return Empty;
        }

        YamlStream stream;
        try
        {
            stream = YamlSyntax.Load(path, File.ReadAllText(path));
        }
        catch (ConfigException exception)
        {
            errors.Add(exception.Message);
            return Empty;
        }

        void Error(YamlNode node, string message) => errors.Add($"{path}:{node.Start.Line}:{node.Start.Column}: {message}");
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("brands"), out var listNode) || listNode is not YamlSequenceNode list)
        {
            errors.Add($"{path}:1:1: a brands file is a mapping with a 'brands:' list");
            return Empty;
        }

        foreach (var key in root.Children.Keys.OfType<YamlScalarNode>().Where(key => key.Value is not ("brands" or "shared_senders")))
        {
            Error(key, $"unknown key '{key.Value}' (a brands file has brands: and shared_senders:)");
        }

        var sharedSenders = Texts(root, "shared_senders", Error).Select(domain => domain.Trim().TrimEnd('.').ToLowerInvariant()).ToList();
        var brands = new List<Brand>();
        var anyCase = new Dictionary<string, List<(string[] Words, Brand Brand)>>(StringComparer.Ordinal);
        var exact = new Dictionary<string, List<(string[] Words, Brand Brand)>>(StringComparer.Ordinal);
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode entry)
            {
                Error(item, "a brand is a mapping with name, names and/or exact, and domains");
                continue;
            }

            foreach (var key in entry.Children.Keys.OfType<YamlScalarNode>().Where(key => key.Value is not ("name" or "names" or "exact" or "domains")))
            {
                Error(key, $"unknown key '{key.Value}' (a brand has name, names, exact, domains)");
            }

            var name = Scalar(entry, "name");
            var names = Texts(entry, "names", Error);
            var exactNames = Texts(entry, "exact", Error);
            var domains = Texts(entry, "domains", Error).Select(domain => domain.Trim().TrimEnd('.').ToLowerInvariant()).ToList();
            if (string.IsNullOrWhiteSpace(name))
            {
                Error(entry, "a brand needs a name");
                continue;
            }

            if (names.Count + exactNames.Count == 0)
            {
                Error(entry, $"brand '{name}' needs names or exact: the words that name it");
                continue;
            }

            var badDomain = domains.FirstOrDefault(domain => !domain.Contains('.') || domain.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')));
            if (domains.Count == 0 || badDomain is not null)
            {
                Error(entry, badDomain is null ? $"brand '{name}' needs domains" : $"brand '{name}': '{badDomain}' is not a domain (example.com, no scheme, no path)");
                continue;
            }

            var brand = new Brand(name, domains);
            brands.Add(brand);
            var folded = names.Select(text => Words(text).Select(Fold).ToArray()).Where(words => words.Length > 0).ToList();
            Index(anyCase, folded.Concat(folded.Where(words => words.Length > 1).Select(words => new[] { string.Concat(words) })), brand);
            Index(exact, exactNames.Select(text => Words(text).ToArray()), brand);
        }

        return new BrandCatalog(brands, anyCase, exact, sharedSenders);
    }

    /// <summary>
    /// Styled letters as the plain letters they show: Mathematical Alphanumeric Symbols (bold, italic, sans,
    /// monospace...: thirteen alphabets of 52 letters from U+1D400, and digits from U+1D7CE) and fullwidth
    /// forms. What NFKC would do for these; the gateway runs with invariant globalization, where
    /// string.Normalize leaves them as they are.
    /// </summary>
    public static string PlainLetters(string text)
    {
        if (!text.Any(c => char.IsSurrogate(c) || c is >= '\uFF01' and <= '\uFF5E'))
        {
            return text;
        }

        var plain = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= '\uFF01' and <= '\uFF5E')
            {
                plain.Append((char)(c - 0xFEE0));
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var code = char.ConvertToUtf32(c, text[i + 1]);
                i++;
                if (code is >= 0x1D400 and < 0x1D400 + (13 * 52))
                {
                    var letter = (code - 0x1D400) % 52;
                    plain.Append((char)(letter < 26 ? 'A' + letter : 'a' + letter - 26));
                }
                else if (code is >= 0x1D7CE and <= 0x1D7FF)
                {
                    plain.Append((char)('0' + ((code - 0x1D7CE) % 10)));
                }
                else
                {
                    plain.Append(char.ConvertFromUtf32(code));
                }
            }
            else
            {
                plain.Append(c);
            }
        }

        return plain.ToString();
    }

    /// <summary>
    /// A word as the names that ignore case compare it: a capital I inside a lower-case word read as the l it
    /// poses as (WaImart), lower case, Cyrillic and Greek letters that render as Latin folded, and in a word of
    /// letters and digits 0 and 1 read as o and l (PayPa1). Deliberately not the domain skeleton's i-to-l or
    /// rn-to-m: on plain words those made "Kim" read as KLM.
    /// </summary>
    private static string Fold(string word)
    {
        var hasLetter = word.Any(char.IsLetter);
        var hasDigit = word.Any(char.IsAsciiDigit);
        var folded = new System.Text.StringBuilder(word.Length);
        for (var i = 0; i < word.Length; i++)
        {
            var c = word[i];
            c = c == 'I' && i > 0 && char.IsLower(word[i - 1]) ? 'l' : char.ToLowerInvariant(c);
            c = c switch
            {
                'а' => 'a', 'е' => 'e', 'о' => 'o', 'р' => 'p', 'с' => 'c', 'х' => 'x', 'у' => 'y', 'і' => 'i', 'ј' => 'j', 'ѕ' => 's',
                'α' => 'a', 'ο' => 'o', 'ρ' => 'p', 'ν' => 'v', 'τ' => 't',
                '0' when hasLetter => 'o',
                '1' when hasLetter && hasDigit => 'l',
                _ => c,
            };
            folded.Append(c);
        }

        return folded.ToString();
    }

    private static void Index(Dictionary<string, List<(string[] Words, Brand Brand)>> table, IEnumerable<string[]> names, Brand brand)
    {
        foreach (var words in names.Where(words => words.Length > 0))
        {
            if (!table.TryGetValue(words[0], out var list))
            {
                table[words[0]] = list = [];
            }

            list.Add((words, brand));
        }
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { } value } ? value : null;

    private static List<string> Texts(YamlMappingNode map, string key, Action<YamlNode, string> error)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            return [];
        }

        if (node is not YamlSequenceNode list || list.Children.Any(child => child is not YamlScalarNode))
        {
            error(node, $"{key} is a list of words: [a, b]");
            return [];
        }

        return [.. list.Children.Cast<YamlScalarNode>().Select(child => child.Value ?? string.Empty).Where(value => value.Trim().Length > 0)];
    }
}
