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
