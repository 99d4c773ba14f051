using System.Text;
using Bert.Tokenization.MeCab;

namespace Bert.Tokenization;

/// <summary>
/// A BERT indexer with Hugging Face's <c>BertJapaneseTokenizer</c> semantics for MeCab models
/// (cl-tohoku/bert-base-japanese and its -char and whole-word-masking variants, tohoku-nlp v2/v3 with unidic-lite):
/// the special tokens written in a text are kept whole; with <c>do_lower_case</c> the rest is lower-cased; each
/// remaining span is NFKC-normalised and split into words by <see cref="MeCabTagger"/> (exactly as <c>mecab</c>),
/// and each word into WordPiece pieces (<c>##</c> continuations) or into characters. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// var indexer = BertJapaneseIndexer.Load("bert-base-japanese",
///     new BertJapaneseIndexerOptions { MeCabDictionaryFolder = "/var/lib/mecab/dic/ipadic-utf8" });
/// var input = indexer.Encode("吾輩は猫である。");
/// </code>
/// </example>
public sealed class BertJapaneseIndexer : IBertIndexer
{
    private readonly WordPieceIndexer vocabulary;
    private readonly BertJapaneseIndexerOptions options;
    private readonly BertIndexerCore core;
    private readonly string[] specialTokens;

    private BertJapaneseIndexer(WordPieceIndexer vocabulary, MeCabTagger tagger, BertJapaneseIndexerOptions options)
    {
        this.vocabulary = vocabulary;
        this.options = options;
        Tagger = tagger;
        specialTokens = options.SpecialTokens();
        // BertJapaneseTokenizer keeps the special tokens written in a text whole (options.Semantics is Hugging Face's).
        core = new BertIndexerCore(options, EncodeSpan, WholeToken.Of(options, vocabulary.PieceToId))
        {
            ClsId = vocabulary.ClsId,
            SepId = vocabulary.SepId,
            PadId = vocabulary.PadId,
        };
    }

    /// <summary>The MeCab analyser that splits words.</summary>
    public MeCabTagger Tagger { get; }

    /// <summary>A copy of the options in effect (those given, with the folder's configuration applied).</summary>
    public BertJapaneseIndexerOptions Options => options.Copy<BertJapaneseIndexerOptions>();

    /// <inheritdoc/>
    public int PadId => vocabulary.PadId;

    /// <inheritdoc/>
    public int ClsId => vocabulary.ClsId;

    /// <inheritdoc/>
    public int SepId => vocabulary.SepId;

    /// <inheritdoc/>
    public int MaskId => vocabulary.MaskId;

    /// <inheritdoc/>
    public int UnkId => vocabulary.UnkId;

    /// <inheritdoc/>
    public int VocabSize => vocabulary.VocabSize;

    /// <inheritdoc/>
    public int MaxSequenceLength => options.MaxSequenceLength;

    /// <summary>
    /// Loads a Hugging Face tokenizer folder: <c>vocab.txt</c> and, when present, <c>tokenizer_config.json</c>,
    /// whose <c>do_lower_case</c>, <c>subword_tokenizer_type</c>, special tokens and <c>mecab_kwargs</c> override
    /// <paramref name="options"/>; the MeCab dictionary is <see cref="BertJapaneseIndexerOptions.MeCabDictionaryFolder"/>
    /// or else <c>mecab_option</c>'s <c>-d DIR</c> (relative to the folder when it exists there).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>vocab.txt</c> or a dictionary file is missing.</exception>
    /// <exception cref="ArgumentException">No dictionary folder is known (the configuration names a Python package such as <c>ipadic</c>).</exception>
    /// <exception cref="InvalidDataException">The configuration, the vocabulary or the dictionary is invalid.</exception>
    public static BertJapaneseIndexer Load(string folder, BertJapaneseIndexerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Tokenizer folder '{folder}' not found.");
        options = options?.Copy<BertJapaneseIndexerOptions>() ?? new BertJapaneseIndexerOptions();
        var config = Path.Combine(folder, BertJapaneseConfig.FileName);
        string dictionary;
        if (SaveSnapshot.FileExists(config))
        {
            dictionary = BertJapaneseConfig.Apply(config, options);
            if (!Path.IsPathRooted(dictionary) && Directory.Exists(Path.Combine(folder, dictionary)))
                dictionary = Path.Combine(folder, dictionary);
        }
        else
        {
            dictionary = options.MeCabDictionaryFolder is { Length: > 0 } given
                ? given
                : throw new ArgumentException($"'{folder}' has no {BertJapaneseConfig.FileName}: set BertJapaneseIndexerOptions.MeCabDictionaryFolder to a compiled MeCab dictionary folder.", nameof(options));
        }
        options.MeCabDictionaryFolder = dictionary;
        return Create(Path.Combine(folder, "vocab.txt"), MeCabTagger.Load(dictionary), options);
    }

    /// <summary>Creates an indexer from a WordPiece vocabulary file and a MeCab tagger (no configuration file is read).</summary>
    /// <exception cref="FileNotFoundException">The vocabulary does not exist.</exception>
    /// <exception cref="InvalidDataException">The vocabulary is empty or lacks a special token.</exception>
    public static BertJapaneseIndexer Create(string vocabPath, MeCabTagger tagger, BertJapaneseIndexerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        ArgumentNullException.ThrowIfNull(tagger);
        options = options?.Copy<BertJapaneseIndexerOptions>() ?? new BertJapaneseIndexerOptions();
        options.Validate();
        options.Semantics = TokenizerSemantics.HuggingFace;
        var wordPiece = options.CopySharedTo(new WordPieceIndexerOptions());
        wordPiece.UnkToken = options.UnkToken;
        wordPiece.MaxInputCharsPerWord = options.MaxInputCharsPerWord;
        // Lower-casing happens here, before MeCab (as Hugging Face's tokenize), not in the vocabulary's basic tokenizer.
        wordPiece.LowerCase = false;
        return new BertJapaneseIndexer(WordPieceIndexer.Load(vocabPath, wordPiece), tagger, options);
    }

    /// <summary>
    /// Writes <c>vocab.txt</c> and a <c>tokenizer_config.json</c> naming the dictionary folder by its full path (Hugging
    /// Face's <c>mecab_option</c> <c>-d DIR</c>); saved classifiers write them through their one folder writer.
    /// </summary>
    internal void WriteFiles(Action<string, Action<Stream>> write)
    {
        var lines = new StringBuilder();
        for (var id = 0; id < VocabSize; id++)
            lines.Append(IdToPiece(id)).Append('\n');
        write("vocab.txt", s => s.Write(new UTF8Encoding(false).GetBytes(lines.ToString())));
        write(BertJapaneseConfig.FileName, s => BertJapaneseConfig.Write(s, options, Path.GetFullPath(Tagger.Dictionary.Folder)));
    }

    /// <summary>MecabTokenizer.tokenize then the subword tokenizer, for text without special tokens.</summary>
    private void EncodeSpan(string text, List<int> ids, List<string>? pieces)
    {
        if (text.Length == 0)
            return;
        if (options.NormalizeText)
            text = text.Normalize(NormalizationForm.FormKC);
        foreach (var surface in Tagger.Wakati(text))
        {
            var word = options.LowerCase && Array.IndexOf(specialTokens, surface) < 0 ? PythonLowerCase.Lower(surface, finalSigma: true) : surface;
            if (options.SubwordType == BertJapaneseSubwordType.WordPiece)
            {
                foreach (var token in SplitOnWhitespace(word))
                    vocabulary.Encoder.WordPiece(token, ids, pieces, options.UnkToken);
            }
            else
            {
                // CharacterTokenizer: NFKC again (always on), then one piece per code point.
                foreach (var rune in word.Normalize(NormalizationForm.FormKC).EnumerateRunes())
                {
                    var piece = rune.ToString();
                    var id = vocabulary.PieceToId(piece);
                    ids.Add(id >= 0 ? id : UnkId);
                    pieces?.Add(id >= 0 ? piece : options.UnkToken);
                }
            }
        }
    }

    /// <summary>Python's <c>str.split()</c>: runs of whitespace (<c>str.isspace</c>) separate words.</summary>
    private static IEnumerable<string> SplitOnWhitespace(string word)
    {
        var start = -1;
        for (var i = 0; i < word.Length; i++)
        {
            var space = char.IsWhiteSpace(word[i]) || word[i] is >= '\u001C' and <= '\u001F';
            if (space && start >= 0)
            {
                yield return word[start..i];
                start = -1;
            }
            else if (!space && start < 0)
            {
                start = i;
            }
        }
        if (start >= 0)
            yield return word[start..];
    }

    /// <inheritdoc/>
    public EncodedInput Encode(string text, string? pair = null) => core.Encode(text, pair);

    /// <inheritdoc/>
    public IReadOnlyList<EncodedInput> EncodeMany(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null) =>
        BertInputAssembler.EncodeMany(this, texts, pairs);

    /// <inheritdoc/>
    public TokenizedText Tokenize(string text) => core.Tokenize(text);

    /// <inheritdoc/>
    public IReadOnlyList<string> TokenizeToPieces(string text) => core.TokenizeToPieces(text);

    /// <inheritdoc/>
    public IReadOnlyList<int> TokenizeToIds(string text) => core.TokenizeToIds(text);

    /// <inheritdoc/>
    /// <remarks>Hugging Face's <c>convert_tokens_to_string</c>: pieces joined by spaces, <c>##</c> continuations glued.</remarks>
    public string Decode(IEnumerable<int> ids) => vocabulary.Decode(ids);

    /// <inheritdoc/>
    public string IdToPiece(int id) => vocabulary.IdToPiece(id);

    /// <inheritdoc/>
    public int PieceToId(string piece) => vocabulary.PieceToId(piece);
}
