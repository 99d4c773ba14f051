using Bert.Core.Tokenization;
using Bert.Tests;
using Xunit.Abstractions;

namespace Bert.Core.Tests.Tokenization;

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
    public void Trained_models_match_spm_encode_on_edge_cases(string model, string goldens)
    {
        var cases = SpmGolden.Read(goldens);
        CheckGoldens(SpmGolden.TestDataPath(model), cases, model).Should().Be(cases.Count);
    }

    [SharedFact(WikiJa)]
    public void Wiki_ja_matches_spm_encode_on_normalization_and_edge_cases()
    {
        var cases = SpmGolden.Read("wiki-ja-goldens.tsv");
        CheckGoldens(SharedData.PathOf(WikiJa), cases, "wiki-ja.model").Should().Be(cases.Count);
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
}
