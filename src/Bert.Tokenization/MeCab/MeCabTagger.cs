namespace Bert.Tokenization.MeCab;

/// <summary>
/// A morphological analyser that gives the same best path as <c>mecab</c> 0.996 with the same compiled dictionary:
/// spaces skipped before each word, dictionary words found with the double-array trie, unknown words made by
/// character category (invoke, group and length rules, <c>max-grouping-size</c>), and the Viterbi search with
/// MeCab's integer costs and tie order. Thread-safe: one tagger may serve many threads.
/// </summary>
/// <example>
/// <code>
/// var tagger = MeCabTagger.Load("/var/lib/mecab/dic/ipadic-utf8");
/// string line = string.Join(' ', tagger.Wakati("すもももももももものうち")); // as mecab -Owakati
/// </code>
/// </example>
public sealed class MeCabTagger
{
    /// <summary>Creates a tagger over a loaded dictionary.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="dictionary"/> is null.</exception>
    public MeCabTagger(MeCabDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        Dictionary = dictionary;
    }

    /// <summary>The dictionary this tagger analyses with.</summary>
    public MeCabDictionary Dictionary { get; }

    /// <summary>Loads a compiled dictionary folder (see <see cref="MeCabDictionary.Load"/>) and creates a tagger over it.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A dictionary file is missing.</exception>
    /// <exception cref="InvalidDataException">A dictionary file is damaged or the files do not match.</exception>
    public static MeCabTagger Load(string dictionaryFolder) => new(MeCabDictionary.Load(dictionaryFolder));

    /// <summary>
    /// The morphemes of <paramref name="text"/> with their features (<c>mecab</c>'s default output without
    /// <c>EOS</c>). As <c>mecab</c>, which reads C strings, the text ends at its first NUL character.
    /// </summary>
    /// <remarks>
    /// MeCab works on UTF-8 bytes; a dictionary entry that is not whole UTF-8 characters (JUMAN dic has a few) gives
    /// a surface with U+FFFD where it cuts a character. <see cref="WakatiUtf8"/> gives the exact bytes.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<MeCabMorpheme> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lattice = MeCabLattice.ForCurrentThread();
        var bytes = lattice.Encode(text);
        var nodes = Analyze(lattice, bytes);
        var result = new MeCabMorpheme[nodes.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var node = nodes[i];
            var lexicon = node.Unknown ? Dictionary.Unknown : Dictionary.System;
            result[i] = new MeCabMorpheme(Surface(bytes, node), lexicon.Feature(lexicon.Tokens[node.Token]), node.Unknown);
        }
        return result;
    }

    /// <summary>
    /// The surfaces of <paramref name="text"/>'s morphemes: <c>mecab -Owakati</c> prints them each followed by a
    /// space. As <c>mecab</c>, the text ends at its first NUL character.
    /// </summary>
    /// <remarks>See <see cref="Parse"/> on surfaces that cut a character.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<string> Wakati(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lattice = MeCabLattice.ForCurrentThread();
        var bytes = lattice.Encode(text);
        var nodes = Analyze(lattice, bytes);
        var result = new string[nodes.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = Surface(bytes, nodes[i]);
        return result;
    }

    /// <summary>
    /// The morphemes of UTF-8 text as byte ranges of it, exactly as <c>mecab</c> cuts the bytes (malformed UTF-8
    /// included). The text ends at its first NUL byte.
    /// </summary>
    public IReadOnlyList<Range> WakatiUtf8(ReadOnlySpan<byte> utf8Text)
    {
        var nul = utf8Text.IndexOf((byte)0);
        if (nul >= 0)
            utf8Text = utf8Text[..nul];
        var nodes = Analyze(MeCabLattice.ForCurrentThread(), utf8Text);
        var result = new Range[nodes.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = new Range(nodes[i].Begin, nodes[i].Begin + nodes[i].Length);
        return result;
    }

    private List<MeCabNode> Analyze(MeCabLattice lattice, ReadOnlySpan<byte> text)
    {
        var nodes = new List<MeCabNode>(Math.Max(4, text.Length / 3));
        lattice.Analyze(Dictionary, text, nodes);
        return nodes;
    }

    private static string Surface(ReadOnlySpan<byte> text, MeCabNode node) =>
        System.Text.Encoding.UTF8.GetString(text.Slice(node.Begin, node.Length));
}
