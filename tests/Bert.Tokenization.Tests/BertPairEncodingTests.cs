using System.Text.Json;
using Bert.Tokenization;

namespace Bert.Tokenization.Tests;

/// <summary>
/// Sentence pairs against Hugging Face's rule (TestData/pairs/make_pair_goldens.py: spm_encode ids, then transformers'
/// longest-first truncation and BERT's special tokens): the indexer with a given maximum length and
/// <see cref="EncodedInput.Truncate"/> of a longer encoding both give the golden ids and segment ids.
/// </summary>
public class BertPairEncodingTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "TestData", "spm", "bpe-ja.model");

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Golden().Length; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pairs_are_cut_longest_first_as_hugging_face_cuts_them(int index)
    {
        var golden = Golden()[index];
        string text = golden.GetProperty("text").GetString()!, pair = golden.GetProperty("pair").GetString()!;
        int maxLength = golden.GetProperty("max_length").GetInt32();
        var ids = golden.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var types = golden.GetProperty("token_type_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var direct = SentencePieceIndexer.Load(Model, new SentencePieceIndexerOptions { MaxSequenceLength = maxLength }).Encode(text, pair);
        direct.InputIds.Should().Equal(ids);
        direct.TokenTypeIds.Should().Equal(types);

        var full = SentencePieceIndexer.Load(Model, new SentencePieceIndexerOptions { MaxSequenceLength = 512, Padding = BertPadding.MaxLength }).Encode(text, pair);
        var cut = full.Truncate(maxLength);
        cut.InputIds.Should().Equal(ids);
        cut.TokenTypeIds.Should().Equal(types);
        cut.AttentionMask.Should().OnlyContain(m => m == 1).And.HaveCount(ids.Length);
        cut.Truncated.Should().Be(ids.Length < full.Length);
    }

    [Fact]
    public void A_single_text_keeps_its_head_and_its_final_sep()
    {
        var indexer = SentencePieceIndexer.Load(Model, new SentencePieceIndexerOptions { MaxSequenceLength = 512 });
        var full = indexer.Encode("京都の紅葉を見に行きました。");
        var cut = full.Truncate(5);
        cut.InputIds.Should().Equal(full.InputIds[0], full.InputIds[1], full.InputIds[2], full.InputIds[3], indexer.SepId);
        cut.TokenTypeIds.Should().OnlyContain(t => t == 0);
        full.Truncate(full.Length).Should().BeSameAs(full);
        FluentActions.Invoking(() => full.Truncate(1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private static JsonElement[] Golden()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "pairs", "pair_truncation_goldens.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    }
}
