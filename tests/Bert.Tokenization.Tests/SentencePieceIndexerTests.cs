using Bert.Tokenization;
using Bert.Tests;
using Xunit.Abstractions;

namespace Bert.Tokenization.Tests;

public class SentencePieceIndexerTests(ITestOutputHelper output)
{
    private const string WikiJa = "models/wiki-ja/wiki-ja.model";
    private const string KnbcIds = "models/wiki-ja/knbc-spm_encode-ids.tsv";
    private const string KnbcPieces = "models/wiki-ja/knbc-spm_encode-pieces.tsv";

    private static readonly Lazy<SentencePieceIndexer> WikiJaIndexer = new(() => SentencePieceIndexer.Load(SharedData.PathOf(WikiJa)));

    internal static SentencePieceIndexer LoadWikiJa() => WikiJaIndexer.Value;

    /// <summary>Reads "sentence TAB space-separated values" lines written by spm_encode.</summary>
    internal static List<(string Text, string[] Values)> ReadTsv(string path) =>
        File.ReadAllLines(path)
            .Select(line =>
            {
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                var values = line[(tab + 1)..];
                return (line[..tab], values.Length == 0 ? [] : values.Split(' '));
            })
            .ToList();

    [SharedFact(WikiJa, KnbcIds, KnbcPieces)]
    public void Knbc_all_4186_sentences_match_spm_encode_ids_and_pieces()
    {
        var indexer = LoadWikiJa();
        var ids = ReadTsv(SharedData.PathOf(KnbcIds));
        var pieces = ReadTsv(SharedData.PathOf(KnbcPieces));
        ids.Should().HaveCount(4186);
        pieces.Should().HaveCount(4186);

        var matchedIds = 0;
        var matchedPieces = 0;
        string? firstMismatch = null;
        for (var i = 0; i < ids.Count; i++)
        {
            var expectedIds = ids[i].Values.Select(int.Parse).ToArray();
            var actualIds = indexer.TokenizeToIds(ids[i].Text).ToArray();
            if (actualIds.SequenceEqual(expectedIds))
                matchedIds++;
            else
                firstMismatch ??= $"ids of line {i + 1} '{ids[i].Text}': expected [{string.Join(' ', expectedIds)}], got [{string.Join(' ', actualIds)}]";

            pieces[i].Text.Should().Be(ids[i].Text);
            var actualPieces = indexer.TokenizeToPieces(pieces[i].Text);
            if (actualPieces.SequenceEqual(pieces[i].Values))
                matchedPieces++;
            else
                firstMismatch ??= $"pieces of line {i + 1} '{pieces[i].Text}': expected [{string.Join(' ', pieces[i].Values)}], got [{string.Join(' ', actualPieces)}]";
        }

        output.WriteLine($"KNBC parity with spm_encode: ids {matchedIds}/{ids.Count}, pieces {matchedPieces}/{pieces.Count}");
        firstMismatch.Should().BeNull();
        matchedIds.Should().Be(4186);
        matchedPieces.Should().Be(4186);
    }

    [Theory]
    [InlineData("unigram-ja.model", "unigram-ja-goldens.tsv")]
    [InlineData("bpe-ja.model", "bpe-ja-goldens.tsv")]
    [InlineData("unigram-ja.model", "unigram-ja-fuzz-goldens.tsv")]
    [InlineData("bpe-ja.model", "bpe-ja-fuzz-goldens.tsv")]
    public void Trained_models_match_spm_encode_on_edge_cases(string model, string goldens)
    {
        var cases = SpmGolden.Read(goldens);
        CheckGoldens(SpmGolden.TestDataPath(model), cases, model).Should().Be(cases.Count);
    }

    [SharedTheory(WikiJa)]
    [InlineData("wiki-ja-goldens.tsv")]
    [InlineData("wiki-ja-fuzz-goldens.tsv")]
    public void Wiki_ja_matches_spm_encode_on_normalization_and_edge_cases(string goldens)
    {
        var cases = SpmGolden.Read(goldens);
        CheckGoldens(SharedData.PathOf(WikiJa), cases, "wiki-ja.model").Should().Be(cases.Count);
    }

    [Theory]
    [InlineData("unigram-ja.model", "unigram-ja-decode-goldens.tsv")]
    [InlineData("bpe-ja.model", "bpe-ja-decode-goldens.tsv")]
    public void Decode_matches_spm_decode(string model, string goldens) =>
        CheckDecode(SpmGolden.TestDataPath(model), goldens);

    [SharedFact(WikiJa)]
    public void Wiki_ja_decode_matches_spm_decode() => CheckDecode(SharedData.PathOf(WikiJa), "wiki-ja-decode-goldens.tsv");

    private void CheckDecode(string modelPath, string goldens)
    {
        var indexer = SentencePieceIndexer.Load(modelPath);
        var lines = File.ReadAllLines(SpmGolden.TestDataPath(goldens), System.Text.Encoding.UTF8);
        var mismatches = new List<string>();
        foreach (var line in lines)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            var ids = line[..tab].Length == 0 ? [] : line[..tab].Split(' ').Select(int.Parse).ToArray();
            var expected = SpmGolden.Unescape(line[(tab + 1)..]);
            var actual = indexer.Decode(ids);
            if (actual != expected)
                mismatches.Add($"[{line[..tab]}]: expected '{expected}', got '{actual}'");
        }
        output.WriteLine($"{goldens}: {lines.Length - mismatches.Count}/{lines.Length} equal spm_decode");
        mismatches.Should().BeEmpty();
        lines.Length.Should().BeGreaterThan(300);
        indexer.Invoking(i => i.Decode([indexer.VocabSize])).Should().Throw<ArgumentOutOfRangeException>();
    }

    private int CheckGoldens(string modelPath, IReadOnlyList<SpmGolden> cases, string name)
    {
        var plain = SentencePieceIndexer.Load(modelPath);
        var lower = SentencePieceIndexer.Load(modelPath, new SentencePieceIndexerOptions { LowerCase = true });
        var matched = 0;
        var mismatches = new List<string>();
        foreach (var golden in cases)
        {
            var indexer = golden.Lower ? lower : plain;
            var ids = indexer.TokenizeToIds(golden.Text);
            var pieces = indexer.TokenizeToPieces(golden.Text);
            if (ids.SequenceEqual(golden.Ids) && pieces.SequenceEqual(golden.Pieces))
                matched++;
            else
                mismatches.Add($"{golden}: expected [{string.Join(' ', golden.Ids)}] [{string.Join(' ', golden.Pieces)}], got [{string.Join(' ', ids)}] [{string.Join(' ', pieces)}]");
        }
        output.WriteLine($"{name}: {matched}/{cases.Count} edge cases equal spm_encode");
        mismatches.Should().BeEmpty();
        return matched;
    }

    private static string UnigramModel => SpmGolden.TestDataPath("unigram-ja.model");

    // unigram-ja.model was trained by make_goldens.py with spm_train's default ids (<unk> 0, <s> 1, </s> 2), then
    // control symbols [PAD] [CLS] [SEP] [MASK] (3..6) and user-defined <br> ㈱ (7, 8).
    [Fact]
    public void Special_ids_come_from_the_model()
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel);
        (indexer.UnkId, indexer.PadId, indexer.ClsId, indexer.SepId, indexer.MaskId).Should().Be((0, 3, 4, 5, 6));
        indexer.VocabSize.Should().Be(800);
        indexer.PieceToId("<br>").Should().Be(7);
        indexer.PieceToId("no such piece").Should().Be(-1);
        indexer.IdToPiece(4).Should().Be("[CLS]");
        indexer.IsBpe.Should().BeFalse();
        SentencePieceIndexer.Load(SpmGolden.TestDataPath("bpe-ja.model")).Should().Match<SentencePieceIndexer>(b => b.IsBpe && b.ByteFallback);
    }

    [SharedFact(WikiJa)]
    public void Wiki_ja_special_ids_match_its_vocab()
    {
        var indexer = LoadWikiJa();
        (indexer.UnkId, indexer.PadId, indexer.ClsId, indexer.SepId, indexer.MaskId, indexer.VocabSize).Should().Be((0, 3, 4, 5, 6, 32000));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t \u3000 ")]
    public void Empty_or_whitespace_text_is_cls_sep(string text)
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { ReturnPieces = true });
        var encoded = indexer.Encode(SpmGolden.Unescape(text));
        encoded.InputIds.Should().Equal(4, 5);
        encoded.TokenTypeIds.Should().Equal(0, 0);
        encoded.AttentionMask.Should().Equal(1, 1);
        encoded.Length.Should().Be(2);
        encoded.Pieces.Should().Equal("[CLS]", "[SEP]");
        encoded.Truncated.Should().BeFalse();
    }

    [Fact]
    public void Null_text_throws_argument_null()
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel);
        indexer.Invoking(i => i.Encode(null!)).Should().Throw<ArgumentNullException>();
        indexer.Invoking(i => i.TokenizeToIds(null!)).Should().Throw<ArgumentNullException>();
        indexer.Invoking(i => i.TokenizeToPieces(null!)).Should().Throw<ArgumentNullException>();
        indexer.Invoking(i => i.EncodeMany(["a", null!])).Should().Throw<ArgumentNullException>().WithMessage("*texts[1]*");
        indexer.Invoking(i => i.EncodeMany(["a"], ["b", "c"])).Should().Throw<ArgumentException>().WithMessage("*pairs has 2*");
    }

    [Fact]
    public void Pair_is_cls_a_sep_b_sep_with_segment_ids()
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { ReturnPieces = true });
        var a = indexer.TokenizeToIds("吾輩は猫である。");
        var b = indexer.TokenizeToIds("名前はまだ無い。");
        var encoded = indexer.Encode("吾輩は猫である。", "名前はまだ無い。");
        encoded.InputIds.Should().Equal([4, .. a, 5, .. b, 5]);
        encoded.TokenTypeIds.Should().Equal([0, .. a.Select(_ => 0), 0, .. b.Select(_ => 1), 1]);
        encoded.AttentionMask.Should().OnlyContain(m => m == 1);
        encoded.Length.Should().Be(a.Count + b.Count + 3);
        encoded.Pieces.Should().Equal(["[CLS]", .. indexer.TokenizeToPieces("吾輩は猫である。"), "[SEP]", .. indexer.TokenizeToPieces("名前はまだ無い。"), "[SEP]"]);
    }

    [Fact]
    public void Long_single_text_keeps_its_head()
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { MaxSequenceLength = 6 });
        var text = string.Concat(Enumerable.Repeat("吾輩は猫である。", 500));
        var pieces = indexer.TokenizeToIds(text);
        pieces.Count.Should().BeGreaterThan(1000);
        var encoded = indexer.Encode(text);
        encoded.InputIds.Should().Equal(4, pieces[0], pieces[1], pieces[2], pieces[3], 5);
        encoded.Truncated.Should().BeTrue();
        encoded.Length.Should().Be(6);
    }

    [Theory]
    // Google's _truncate_seq_pair by hand, in pieces: budget = max - 3; pop from the longer side, the second on ties.
    // Each text is "▁" followed by its repeated user-defined symbols, so it has repeat + 1 pieces.
    [InlineData(5, 1, 8, 3, 2)]   // 6 + 2 > 5: a 5, a 4, a 3
    [InlineData(2, 2, 8, 3, 2)]   // 3 + 3: tie, b loses first
    [InlineData(1, 9, 8, 2, 3)]   // 2 + 10: b loses 7
    [InlineData(1, 1, 10, 2, 2)]  // fits: nothing cut
    public void Pairs_are_truncated_longest_first(int repeatA, int repeatB, int max, int keptA, int keptB)
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { MaxSequenceLength = max });
        // "<br>" (id 7) and "㈱" (id 8) are user-defined pieces: one piece each.
        var a = string.Concat(Enumerable.Repeat("<br>", repeatA));
        var b = string.Concat(Enumerable.Repeat("㈱", repeatB));
        var ta = indexer.TokenizeToIds(a).ToArray();
        var tb = indexer.TokenizeToIds(b).ToArray();
        ta.Should().Equal([18, .. Enumerable.Repeat(7, repeatA)]);
        tb.Should().Equal([18, .. Enumerable.Repeat(8, repeatB)]);
        var encoded = indexer.Encode(a, b);
        encoded.InputIds.Should().Equal([4, .. ta.Take(keptA), 5, .. tb.Take(keptB), 5]);
        encoded.TokenTypeIds.Should().Equal([.. Enumerable.Repeat(0, keptA + 2), .. Enumerable.Repeat(1, keptB + 1)]);
        encoded.Truncated.Should().Be(keptA < ta.Length || keptB < tb.Length);
    }

    [Fact]
    public void Max_length_padding_uses_the_models_pad_id()
    {
        var indexer = SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { MaxSequenceLength = 12, Padding = BertPadding.MaxLength });
        var encoded = indexer.Encode("猫", "犬");
        encoded.InputIds.Should().HaveCount(12);
        encoded.InputIds.Skip(encoded.Length).Should().OnlyContain(id => id == 3);
        encoded.AttentionMask.Should().Equal(Enumerable.Range(0, 12).Select(i => i < encoded.Length ? 1 : 0));
        encoded.TokenTypeIds.Skip(encoded.Length).Should().OnlyContain(t => t == 0);
    }

    [Fact]
    public void Lower_casing_keeps_special_tokens_written_in_the_text()
    {
        var lower = SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { LowerCase = true });
        var plain = SentencePieceIndexer.Load(UnigramModel);
        lower.TokenizeToIds("The [CLS] QUICK [MASK] Fox").Should().Equal(plain.TokenizeToIds("the [CLS] quick [MASK] fox"));
        lower.TokenizeToIds("ＡＢＣ").Should().Equal(plain.TokenizeToIds("ａｂｃ"));
    }

    [Fact]
    public void Missing_special_piece_names_the_piece_and_the_file()
    {
        var act = () => SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { ClsToken = "<cls>" });
        act.Should().Throw<InvalidDataException>().WithMessage("*'<cls>'*ClsToken*").And.Message.Should().Contain(UnigramModel);
    }

    [Fact]
    public void Malformed_models_throw_invalid_data()
    {
        var bytes = File.ReadAllBytes(UnigramModel);
        foreach (var broken in new[] { bytes[..1000], bytes[..7], new byte[] { 0xFF, 0xFF, 0xFF }, "not a model"u8.ToArray(), Array.Empty<byte>() })
        {
            var act = () => SentencePieceIndexer.Load(new MemoryStream(broken));
            act.Should().Throw<InvalidDataException>().WithMessage("*(stream)*");
        }
        var missing = () => SentencePieceIndexer.Load(Path.Combine(AppContext.BaseDirectory, "missing.model"));
        missing.Should().Throw<FileNotFoundException>().WithMessage("*missing.model*");
    }

    [Fact]
    public void Stream_and_path_loads_agree()
    {
        using var stream = File.OpenRead(UnigramModel);
        var fromStream = SentencePieceIndexer.Load(stream);
        var fromPath = SentencePieceIndexer.Load(UnigramModel);
        const string text = "吾輩は猫である。ＡＢＣ 😀 <br>";
        fromStream.TokenizeToIds(text).Should().Equal(fromPath.TokenizeToIds(text)).And.NotBeEmpty();
    }

    [Fact]
    public void Options_validate_naming_the_property()
    {
        var act = () => SentencePieceIndexer.Load(UnigramModel, new SentencePieceIndexerOptions { MaxSequenceLength = 2 });
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("MaxSequenceLength");
        var blank = () => new SentencePieceIndexerOptions { PadToken = " " }.Validate();
        blank.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("PadToken");
    }

    [SharedFact(WikiJa, KnbcIds)]
    public void Encoding_from_8_threads_equals_single_thread_results()
    {
        var indexer = SentencePieceIndexer.Load(SharedData.PathOf(WikiJa), new SentencePieceIndexerOptions { ReturnPieces = true, MaxSequenceLength = 64 });
        var texts = ReadTsv(SharedData.PathOf(KnbcIds)).Select(t => t.Text).ToArray();
        var single = texts.Select(t => indexer.Encode(t)).ToArray();
        var parallel = new EncodedInput[8][];
        var threads = Enumerable.Range(0, 8).Select(k => new Thread(() =>
        {
            // Each thread walks the texts from a different start so that they overlap in time.
            var mine = new EncodedInput[texts.Length];
            for (var n = 0; n < texts.Length; n++)
            {
                var i = (n + (k * 523)) % texts.Length;
                mine[i] = indexer.Encode(texts[i]);
            }
            parallel[k] = mine;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (var k = 0; k < 8; k++)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                parallel[k][i].InputIds.Should().Equal(single[i].InputIds);
                parallel[k][i].Pieces.Should().Equal(single[i].Pieces);
            }
        }

        // EncodeMany goes parallel for large lists: same results, same order.
        var many = indexer.EncodeMany(texts, texts.Reverse().ToArray());
        for (var i = 0; i < texts.Length; i++)
            many[i].InputIds.Should().Equal(indexer.Encode(texts[i], texts[texts.Length - 1 - i]).InputIds);
    }
}
