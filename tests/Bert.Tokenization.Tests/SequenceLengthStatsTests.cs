using Bert.Tokenization;
using Bert.Tests;
using Xunit.Abstractions;

namespace Bert.Tokenization.Tests;

public class SequenceLengthStatsTests(ITestOutputHelper output)
{
    private static string OwnVocab => Path.Combine(AppContext.BaseDirectory, "TestData", "wordpiece", "vocab.txt");

    [Fact]
    public void Measures_counts_percentiles_unknowns_and_histogram()
    {
        // Piece counts by hand (TestData/wordpiece/vocab.txt): hello 1, un ##aff ##able 3, hello world 2, [UNK] 1, none 0.
        var indexer = WordPieceIndexer.Load(OwnVocab, new WordPieceIndexerOptions { MaxSequenceLength = 4 });
        var stats = SequenceLengthStats.Measure(indexer, ["hello", "unaffable", "hello world", "x", ""]);
        stats.Count.Should().Be(5);
        stats.TotalPieces.Should().Be(7);
        stats.MeanPieces.Should().BeApproximately(1.4, 1e-12);
        (stats.MinPieces, stats.MaxPieces, stats.MaxSequenceLength).Should().Be((0, 3, 5));
        // Nearest rank over [0, 1, 1, 2, 3]: p50 -> rank 3, p90/p95/p99 -> rank 5.
        (stats.Percentile50, stats.Percentile90, stats.Percentile95, stats.Percentile99).Should().Be((1, 3, 3, 3));
        (stats.UnknownPieces, stats.TextsWithUnknown).Should().Be((1L, 1));
        stats.UnknownShare.Should().BeApproximately(1 / 7.0, 1e-12);
        stats.Histogram.Should().Equal(new LengthBin(0, 0, 1), new LengthBin(1, 1, 2), new LengthBin(2, 2, 1), new LengthBin(3, 3, 1));
        stats.TruncatedAtIndexerMax.Should().Be(1);     // 3 + 2 > 4
        stats.SuggestedMaxSequenceLength.Should().Be(4); // 5, capped at the indexer's limit
        stats.ToString().Should().Contain("suggested max_seq_len: 4").And.Contain("p99 3");
    }

    [Fact]
    public void Empty_data_set_gives_zero_counts()
    {
        var stats = SequenceLengthStats.Measure(WordPieceIndexer.Load(OwnVocab), []);
        stats.Count.Should().Be(0);
        stats.UnknownShare.Should().Be(0);
        stats.ToString().Should().Contain("no texts");
    }

    [SharedFact("models/wiki-ja/wiki-ja.model", "models/wiki-ja/knbc-spm_encode-ids.tsv")]
    public void Knbc_longest_is_101_pieces_103_with_cls_sep_and_unknowns_as_spm_encode()
    {
        // The reference facts of shared/README.md: longest KNBC sentence 101 pieces (+2 = 103, the blog's SEQ_LEN).
        // Unknown pieces: as many as spm_encode's ids hold (349 without lower-casing: upper-case letters such as
        // full-width "Ｆｏｏｄ" are not in the lower-cased wiki-ja vocabulary; SOURCE.txt's "0 <unk>" does not hold).
        var texts = SentencePieceIndexerTests.ReadTsv(SharedData.PathOf("models/wiki-ja/knbc-spm_encode-ids.tsv"));
        var stats = SequenceLengthStats.Measure(SentencePieceIndexerTests.LoadWikiJa(), texts.Select(t => t.Text));
        output.WriteLine(stats.ToString());
        stats.Count.Should().Be(4186);
        stats.MaxPieces.Should().Be(101);
        stats.SuggestedMaxSequenceLength.Should().Be(103);
        var spmUnknowns = texts.Sum(t => t.Values.Count(v => v == "0"));
        spmUnknowns.Should().Be(349);
        stats.UnknownPieces.Should().Be(spmUnknowns);
        stats.TextsWithUnknown.Should().Be(texts.Count(t => t.Values.Contains("0")));
        stats.TotalPieces.Should().Be(texts.Sum(t => (long)t.Values.Length));
        stats.Histogram.Sum(b => b.Count).Should().Be(4186);
    }
}
