using Bert.Tokenization;
using Bert.Tests;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace Bert.Tokenization.Tests;

public class WordPieceIndexerTests(ITestOutputHelper output)
{
    private const string TinyVocab = "fixtures/keras-bert-tiny/vocab.txt";

    // TestData/wordpiece/vocab.txt, ids by line: [PAD]0 [UNK]1 [CLS]2 [SEP]3 [MASK]4 un5 ##aff6 ##able7 hello8
    // ##world9 world10 ##s11 ,12 .13 !14 日15 本16 語17 cafe18 jack19 ##dull20 dull21 😀22 naïve23 naive24 a25 ##b26 ##c27 abc28
    private static string OwnVocab => Path.Combine(AppContext.BaseDirectory, "TestData", "wordpiece", "vocab.txt");

    public static TheoryData<bool, string, int[]> HandDerivedCases => new()
    {
        { false, "unaffable", [5, 6, 7] },                  // Google's docstring example
        { false, "Unaffable", [1] },                        // cased: no piece starts with "U"
        { true, "UNAFFABLE, Café!", [5, 6, 7, 12, 18, 14] }, // lower-cased, accent stripped, punctuation split
        { false, "naïve", [23] },                           // cased keeps the accent
        { true, "Naïve", [24] },
        { false, "日本語です", [15, 16, 17, 1] },            // CJK ideographs split, kana stay one word
        { false, "hello\u200bworld", [8, 9] },              // format character removed
        { false, "helloworlds", [8, 9, 11] },
        { false, "jackdull", [19, 20] },
        { false, "jackdullx", [1] },                        // one failing piece makes the whole word unknown
        { false, "abcb", [28, 26] },                        // longest match first
        { false, "a\u00a0b", [25, 1] },                     // no-break space separates words
        { false, "😀😀", [1] },
        { false, "😀 😀", [22, 22] },
        { false, "hello\tworld\r\nhello", [8, 10, 8] },
        { false, "hel\u0001lo", [8] },                      // control character removed
        { false, "", [] },
        { false, " \t\n ", [] },
    };

    [Theory]
    [MemberData(nameof(HandDerivedCases))]
    public void Tokenizes_like_google_full_tokenizer(bool lower, string text, int[] expected)
    {
        var indexer = WordPieceIndexer.Load(OwnVocab, new WordPieceIndexerOptions { LowerCase = lower });
        indexer.TokenizeToIds(text).Should().Equal(expected);
        indexer.TokenizeToPieces(text).Should().Equal(expected.Select(indexer.IdToPiece));
    }

    [Fact]
    public void Word_longer_than_the_limit_is_one_unknown()
    {
        var indexer = WordPieceIndexer.Load(OwnVocab, new WordPieceIndexerOptions { MaxInputCharsPerWord = 2 });
        indexer.TokenizeToIds("abc a").Should().Equal(1, 25);
    }

    [SharedFact(TinyVocab)]
    public void Keras_bert_tiny_vocab_encodes_the_keras_bert_sentence()
    {
        var indexer = WordPieceIndexer.Load(SharedData.PathOf(TinyVocab));
        indexer.VocabSize.Should().Be(15);
        (indexer.PadId, indexer.UnkId, indexer.ClsId, indexer.SepId, indexer.MaskId).Should().Be((0, 1, 2, 3, 4));
        var encoded = indexer.Encode("all work and no play makes jack a dull boy");
        encoded.InputIds.Should().Equal(2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 3);
        encoded.TokenTypeIds.Should().OnlyContain(t => t == 0);
        encoded.AttentionMask.Should().OnlyContain(m => m == 1);

        var lower = WordPieceIndexer.Load(SharedData.PathOf(TinyVocab), new WordPieceIndexerOptions { LowerCase = true, ReturnPieces = true });
        var pair = lower.Encode("All Work, and", "no PLAY");
        pair.InputIds.Should().Equal(2, 5, 6, 1, 7, 3, 8, 9, 3);
        pair.TokenTypeIds.Should().Equal(0, 0, 0, 0, 0, 0, 1, 1, 1);
        pair.Pieces.Should().Equal("[CLS]", "all", "work", "[UNK]", "and", "[SEP]", "no", "play", "[SEP]");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Agrees_with_microsoft_ml_bert_tokenizer(bool lower)
    {
        // An independent implementation of the same algorithm (Microsoft.ML.Tokenizers' BertTokenizer). Not for
        // characters outside the BMP: for "😀 😀😀 a😀" BertTokenizer 2.0.1 returns [25] ("a" only, the emoji
        // dropped), where Google's tokenization.py keeps them ([22, 1, 1]; see the hand-derived cases above); nor for
        // format characters such as U+200B, which Google's _clean_text deletes ("hello\u200bworld" -> [8, 9]) and
        // BertTokenizer does not; nor for tabs and line breaks, which BertTokenizer does not treat as spaces
        // ("hello world\tjack\r\ndull" gives [8, 1] there, [8, 10, 19, 21] in Google's and ours).
        var reference = BertTokenizer.Create(OwnVocab, new BertOptions
        {
            LowerCaseBeforeTokenization = lower,
            RemoveNonSpacingMarks = lower,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
            SplitOnSpecialTokens = false,
            UnknownToken = "[UNK]",
        });
        var indexer = WordPieceIndexer.Load(OwnVocab, new WordPieceIndexerOptions { LowerCase = lower });
        string[] texts =
        [
            "unaffable UNAFFABLE Unaffable", "Hello, world! helloworlds.", "naïve NAÏVE cafe CAFÉ", "日本語と日本",
            "jackdull jackdullx abc abcb abcc", "a\u00a0b\u3000c", "hello world jack  dull",
            "(hello) [world] {a}", "a.b,c!d", "  ", "",
        ];
        var agreed = 0;
        foreach (var text in texts)
        {
            var expected = reference.EncodeToIds(text, addSpecialTokens: false);
            indexer.TokenizeToIds(text).Should().Equal(expected, $"'{text}' (lower={lower})");
            agreed++;
        }
        output.WriteLine($"lower={lower}: {agreed}/{texts.Length} texts equal BertTokenizer's ids");
    }

    [Fact]
    public void Decode_glues_continuations_and_drops_cls_sep_pad()
    {
        var indexer = WordPieceIndexer.Load(OwnVocab);
        // [CLS] un ##aff ##able hello ##world , [MASK] [UNK] [SEP] [PAD]
        indexer.Decode([2, 5, 6, 7, 8, 9, 12, 4, 1, 3, 0]).Should().Be("unaffable helloworld , [MASK] [UNK]");
        indexer.Decode([6, 5]).Should().Be("##aff un");
        indexer.Decode([]).Should().BeEmpty();
        indexer.Invoking(i => i.Decode([29])).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Missing_special_token_names_the_token_and_the_file()
    {
        var act = () => WordPieceIndexer.Load(OwnVocab, new WordPieceIndexerOptions { MaskToken = "<mask>" });
        act.Should().Throw<InvalidDataException>().WithMessage("*'<mask>'*MaskToken*").And.Message.Should().Contain(OwnVocab);
    }

    [Fact]
    public void Missing_file_throws_file_not_found()
    {
        var act = () => WordPieceIndexer.Load(Path.Combine(AppContext.BaseDirectory, "no-such-vocab.txt"));
        act.Should().Throw<FileNotFoundException>().WithMessage("*no-such-vocab.txt*");
    }

    [Fact]
    public void Piece_lookup_returns_minus_one_for_unknown_pieces()
    {
        var indexer = WordPieceIndexer.Load(OwnVocab);
        indexer.PieceToId("##aff").Should().Be(6);
        indexer.PieceToId("nope").Should().Be(-1);
        indexer.IdToPiece(22).Should().Be("😀");
        var act = () => indexer.IdToPiece(29);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
