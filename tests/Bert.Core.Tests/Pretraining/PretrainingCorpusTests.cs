using Bert.Core.Pretraining;
using Bert.Tokenization;
using Bert.Tests;

namespace Bert.Core.Tests.Pretraining;

public class PretrainingCorpusTests
{
    [Fact]
    public void Empty_lines_separate_documents_and_sentences_are_trimmed()
    {
        var corpus = PretrainingCorpus.Parse("\n\n first one \nsecond\n\n\n\nthird\r\n  \nfourth\nfifth\n");
        corpus.Documents.Should().HaveCount(3);
        corpus.Documents[0].Should().Equal("first one", "second");
        corpus.Documents[1].Should().Equal("third");
        corpus.Documents[2].Should().Equal("fourth", "fifth");
        corpus.SentenceCount.Should().Be(5);
    }

    [Fact]
    public void Saved_text_parses_back_to_the_same_documents()
    {
        var corpus = PretrainingCorpus.FromDocuments([["a", "b"], [" ", ""], ["c"]]);
        corpus.Documents.Should().HaveCount(2);
        var writer = new StringWriter();
        corpus.Save(writer);
        writer.ToString().Should().Be("a\nb\n\nc\n");
        PretrainingCorpus.Parse(writer.ToString()).Documents.Should().BeEquivalentTo(corpus.Documents, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused_naming_the_file_and_the_line_not_read_as_replacement_characters()
    {
        var path = Path.Combine(Path.GetTempPath(), "bert-corpus-" + Guid.NewGuid().ToString("N")[..8] + ".txt");
        try
        {
            // Line 3 is 「吾輩は猫である。」 in Shift_JIS; lines 1-2 are UTF-8 (a BOM first), and CRLF line ends.
            byte[] sjis = [0x8C, 0xE1, 0x94, 0x79, 0x82, 0xCD, 0x94, 0x4C, 0x82, 0xC5, 0x82, 0xA0, 0x82, 0xE9, 0x81, 0x42];
            File.WriteAllBytes(path, [.. "\uFEFF名前はまだ無い。\r\n\r\n"u8, .. sjis, .. "\r\n"u8]);
            var act = () => PretrainingCorpus.Load(path);
            act.Should().Throw<InvalidDataException>().WithMessage($"corpus '{path}', line 3 is not UTF-8 text*");
            using var stream = File.OpenRead(path);
            ((Action)(() => PretrainingCorpus.Load(stream))).Should().Throw<InvalidDataException>().WithMessage("corpus, line 3 is not UTF-8 text*");

            // Valid UTF-8 with a BOM and CRLF reads as before.
            File.WriteAllBytes(path, "\uFEFF名前はまだ無い。\r\n\r\n吾輩は猫である。\r\n二文目\n"u8.ToArray());
            var corpus = PretrainingCorpus.Load(path);
            corpus.Documents.Should().HaveCount(2);
            corpus.Documents[0].Should().Equal("名前はまだ無い。");
            corpus.Documents[1].Should().Equal("吾輩は猫である。", "二文目");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var act = () => PretrainingCorpus.Load("/nonexistent/corpus.txt");
        act.Should().Throw<FileNotFoundException>().WithMessage("*/nonexistent/corpus.txt*");
    }

    [SharedFact("models/wiki-ja/wiki-ja.model", "models/wiki-ja/knbc-spm_encode-ids.tsv")]
    public void Tokenized_sentences_equal_spm_encode_ids()
    {
        var rows = File.ReadLines(SharedData.PathOf("models/wiki-ja/knbc-spm_encode-ids.tsv")).Take(40)
            .Select(l => l.Split('\t')).Select(p => (Text: p[0], Ids: p[1].Split(' ').Select(int.Parse).ToArray())).ToList();
        var corpus = PretrainingCorpus.FromDocuments([rows.Take(25).Select(r => r.Text), rows.Skip(25).Select(r => r.Text)]);
        var indexer = SentencePieceIndexer.Load(SharedData.PathOf("models/wiki-ja/wiki-ja.model"));
        var tokenized = corpus.Tokenize(indexer);
        tokenized.Should().HaveCount(2);
        tokenized.SelectMany(d => d).Select(s => string.Join(" ", s)).Should().Equal(rows.Select(r => string.Join(" ", r.Ids)));
    }
}
