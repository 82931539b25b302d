using System.Numerics;

namespace Gateway.Core.Classification;

/// <summary>
/// The text half of the classifier's features: word 1-grams, word 2-grams and character 3-grams (within
/// words, padded with a space each side), each hashed into one of <see cref="SlotCount"/> slots, counted,
/// and L2-normalised over the message. Text is folded first: lower case, diacritics dropped, anything
/// but letters and digits a separator.
/// <para>
/// Why hashing instead of ML.NET's dictionary featuriser: scoring with ML.NET's text transform cost about
/// 3-5 ms of CPU per message, most of the whole pipeline (bench/RESULTS.md). Hashing needs no vocabulary
/// (nothing to load, nothing to look up in a 100,000-entry dictionary) and allocates nothing per message:
/// counts go into this instance's slot array, and only the slots touched are cleared afterwards. The
/// same code featurises for training and scoring, so the two cannot drift.
/// </para>
/// An instance is scratch space for one message at a time (not thread-safe); <see cref="SpamModel"/> pools them.
/// </summary>
public sealed class HashedTextFeatures
{
    public const int SlotBits = 18;
    public const int SlotCount = 1 << SlotBits;

    private const uint UnigramSeed = 0x9E3779B1;
    private const uint BigramSeed = 0x85EBCA77;
    private const uint TrigramSeed = 0xC2B2AE3D;

    private readonly int[] _counts = new int[SlotCount];
    private readonly List<int> _touched = new(4096);
    private readonly List<NgramAt> _firstNgram = new(4096);
    private readonly List<(int Start, int Length, uint Hash)> _tokens = new(2048);
    private char[] _folded = new char[4096];
    private int _foldedLength;
    private double _norm = 1;

    /// <summary>Slots with a non-zero count for the loaded text, in the order first seen.</summary>
    public IReadOnlyList<int> Touched => _touched;

    /// <summary>Replaces the loaded text: tokenises, counts every n-gram, computes the norm.</summary>
    public void Load(string text)
    {
        Clear();
        Fold(text);
        Count();

        long sumOfSquares = 0;
        foreach (var slot in _touched)
        {
            sumOfSquares += (long)_counts[slot] * _counts[slot];
        }

        _norm = sumOfSquares == 0 ? 1 : Math.Sqrt(sumOfSquares);
    }

    /// <summary>The normalised value of one slot (0 when no n-gram of the text fell into it).</summary>
    public float Value(int slot) => (float)(_counts[slot] / _norm);

    /// <summary>Sorted slot indices with their values: the sparse vector ML.NET trains on.</summary>
    public (int[] Indices, float[] Values) ToSparse()
    {
        var indices = _touched.ToArray();
        Array.Sort(indices);
        var values = new float[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            values[i] = Value(indices[i]);
        }

        return (indices, values);
    }

    /// <summary>
    /// Readable names for slots of the loaded text: for each, the first n-gram that fell into it ("free",
    /// "free money", "part of \"freebies\""), or none for a slot the text did not touch.
    /// </summary>
    public Dictionary<int, string> Describe(IEnumerable<int> slots)
    {
        var names = new Dictionary<int, string>();
        var touched = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_touched);
        foreach (var slot in slots)
        {
            var index = touched.IndexOf(slot);
            if (index >= 0)
            {
                names[slot] = Name(_firstNgram[index]);
            }
        }

        return names;
    }

    /// <summary>
    /// Counts every n-gram of the loaded text: each word, each pair of neighbouring words, each character
    /// 3-gram of a word padded with a space each side. Where each slot was first touched is kept beside
    /// it, so naming a slot for an explanation needs no second pass over the text.
    /// </summary>
    private void Count()
    {
        var previous = 0u;
        for (var i = 0; i < _tokens.Count; i++)
        {
            var (start, length, hash) = _tokens[i];
            if (StopWordLookup.Contains(_folded.AsSpan(start, length)))
            {
                continue;
            }

            Add(Slot(hash ^ UnigramSeed), new NgramAt(Ngram.Word, i, 0));
            if (i > 0)
            {
                Add(Slot(Bigram(previous, hash)), new NgramAt(Ngram.WordPair, i, 0));
            }

            previous = hash;
            var word = _folded.AsSpan(start, length);
            for (var position = -1; position + 2 <= length; position++)
            {
                Add(Slot(Trigram(word, position)), new NgramAt(Ngram.Chars, i, position));
            }
        }
    }

    /// <summary>
    /// Function words that say who writes to whom, not what is wanted: list discussion says "the" and "I",
    /// shops and spammers alike say "you" and "your". The model learned "your = spam" from that (a receipt
    /// scored p = 0.92 on the 3-gram 'ur ' of "your"), so they are not counted at all: no word, no pair, no 3-gram.
    /// </summary>
    private static readonly HashSet<string> StopWords = new(
        ["you", "your", "yours", "yourself", "u", "ur", "i", "me", "my", "mine", "we", "us", "our", "ours", "they", "them", "their", "he", "she", "his", "her",
         "the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "is", "it", "its", "this", "that", "be", "are", "was", "were", "with", "at", "by", "from", "as"],
        StringComparer.Ordinal);

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> StopWordLookup = StopWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private enum Ngram
    {
        Word,
        WordPair,
        Chars,
    }

    /// <summary>One n-gram: its kind, the token it ends at and, for characters, where in that token it starts (-1: the padding space).</summary>
    private readonly record struct NgramAt(Ngram Kind, int Token, int Position);

    private string Name(NgramAt ngram)
    {
        var word = Word(ngram.Token);
        return ngram.Kind switch
        {
            Ngram.Word => new string(word),
            Ngram.WordPair => $"{new string(Word(ngram.Token - 1))} {new string(word)}",
            // A 3-gram is named by the word of the message it came from: "part of \"invoice\"" tells a reader
            // more than the fragment 'voi' does.
            _ => $"part of \"{new string(word)}\"",
        };
    }

    private ReadOnlySpan<char> Word(int token) => _folded.AsSpan(_tokens[token].Start, _tokens[token].Length);

    private void Clear()
    {
        foreach (var slot in _touched)
        {
            _counts[slot] = 0;
        }

        _touched.Clear();
        _firstNgram.Clear();
        _tokens.Clear();
        _foldedLength = 0;
    }

    private void Add(int slot, NgramAt ngram)
    {
        if (_counts[slot]++ == 0)
        {
            _touched.Add(slot);
            _firstNgram.Add(ngram);
        }
    }

    /// <summary>Folds the text into the buffer word by word and records each word with its hash (FNV-1a).</summary>
    private void Fold(string text)
    {
        if (_folded.Length < text.Length)
        {
            _folded = new char[Math.Max(text.Length, _folded.Length * 2)];
        }

        var start = -1;
        var hash = 2166136261u;
        foreach (var raw in text)
        {
            var c = raw < 128 ? AsciiFolded[raw] : FoldChar(raw);
            if (c == '\0')
            {
                if (start >= 0)
                {
                    _tokens.Add((start, _foldedLength - start, hash));
                    start = -1;
                }

                continue;
            }

            if (start < 0)
            {
                start = _foldedLength;
                hash = 2166136261u;
            }

            _folded[_foldedLength++] = c;
            hash = (hash ^ c) * 16777619u;
        }

        if (start >= 0)
        {
            _tokens.Add((start, _foldedLength - start, hash));
        }
    }

    /// <summary>Lower case without diacritics, or '\0' for a separator (anything but a letter or digit).</summary>
    private static char FoldChar(char c)
    {
        if (c < 128)
        {
            return c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : '\0';
        }

        if (!char.IsLetterOrDigit(c))
        {
            return '\0';
        }

        return c < Folded.Length ? Folded[c] : char.ToLowerInvariant(c);
    }

    /// <summary>
    /// Base letters of U+00C0..U+017F (Latin-1 letters and Latin Extended-A), '*' where a letter has no
    /// plainer form (æ, ð, þ, ß, ĳ, œ). A table rather than Unicode decomposition: the gateway runs with
    /// invariant globalization, where string.Normalize does not decompose.
    /// </summary>
    private const string LatinBases =
        "aaaaaa*ceeeeiiii*nooooo*ouuuuy**aaaaaa*ceeeeiiii*nooooo*ouuuuy*y" +
        "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkkllllllllllnnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

    private static readonly char[] Folded = BuildFoldTable();

    /// <summary><see cref="FoldChar"/> of every ASCII character, looked up in the loop over the text instead of branched on.</summary>
    private static readonly char[] AsciiFolded = [.. Enumerable.Range(0, 128).Select(c => FoldChar((char)c))];

    private static char[] BuildFoldTable()
    {
        var table = new char[0xC0 + LatinBases.Length];
        for (var c = 0; c < table.Length; c++)
        {
            table[c] = c >= 0xC0 && LatinBases[c - 0xC0] != '*' ? LatinBases[c - 0xC0] : char.ToLowerInvariant((char)c);
        }

        return table;
    }

    private static char CharAt(ReadOnlySpan<char> word, int position) => position < 0 || position >= word.Length ? ' ' : word[position];

    private static uint Trigram(ReadOnlySpan<char> word, int position)
    {
        var hash = TrigramSeed;
        hash = (hash ^ CharAt(word, position)) * 16777619u;
        hash = (hash ^ CharAt(word, position + 1)) * 16777619u;
        hash = (hash ^ CharAt(word, position + 2)) * 16777619u;
        return hash;
    }

    private static uint Bigram(uint first, uint second) => (BitOperations.RotateLeft(first, 13) * 0x27D4EB2Fu) ^ second ^ BigramSeed;

    /// <summary>Fibonacci hashing: the top bits of a multiplicative mix, so FNV's weak low bits do not pick the slot.</summary>
    private static int Slot(uint hash) => (int)((hash * 0x9E3779B1u) >> (32 - SlotBits));
}
