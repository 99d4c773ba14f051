using Bert.Tokenization;

namespace Bert.Tokenization.Tests;

public class BertIndexerTests
{
    private static string SpmDir => Path.Combine(AppContext.BaseDirectory, "TestData", "spm");
    private static string WordPieceDir => Path.Combine(AppContext.BaseDirectory, "TestData", "wordpiece");

    [Fact]
    public void Loads_sentencepiece_for_a_model_file_and_wordpiece_for_a_vocab()
    {
        BertIndexer.Load(Path.Combine(SpmDir, "bpe-ja.model")).Should().BeOfType<SentencePieceIndexer>()
            .Which.IsBpe.Should().BeTrue();
        BertIndexer.Load(WordPieceDir).Should().BeOfType<WordPieceIndexer>().Which.VocabSize.Should().Be(29);
        BertIndexer.Load(Path.Combine(WordPieceDir, "vocab.txt")).UnkId.Should().Be(1);
    }

    [Fact]
    public void Shared_options_carry_over_to_the_other_kind()
    {
        var indexer = BertIndexer.Load(WordPieceDir, new SentencePieceIndexerOptions { LowerCase = true, MaxSequenceLength = 4 });
        indexer.MaxSequenceLength.Should().Be(4);
        indexer.UnkId.Should().Be(1); // WordPiece's own [UNK], not SentencePiece's <unk>
        indexer.TokenizeToIds("UNAFFABLE").Should().Equal(5, 6, 7);
    }

    [Fact]
    public void Folder_with_several_models_or_none_is_an_error()
    {
        var several = () => BertIndexer.Load(SpmDir);
        several.Should().Throw<ArgumentException>().WithMessage("*several SentencePiece models*");
        var none = () => BertIndexer.Load(Path.Combine(AppContext.BaseDirectory, "TestData"));
        none.Should().Throw<FileNotFoundException>().WithMessage("*holds no tokenizer*");
        var missing = () => BertIndexer.Load(Path.Combine(SpmDir, "nope.model"));
        missing.Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void A_saves_temporary_is_never_a_second_model_and_a_pending_save_is_read_as_committed()
    {
        string dir = Directory.CreateTempSubdirectory("bert-indexer-").FullName;
        try
        {
            File.Copy(Path.Combine(SpmDir, "bpe-ja.model"), Path.Combine(dir, "spiece.model")); // the previous save
            string temp = ".bert_net-0123456789ab.spiece.model";
            File.Copy(Path.Combine(SpmDir, "unigram-ja.model"), Path.Combine(dir, temp)); // the next save, not yet renamed

            // Before the journal (or left by a killed save): the temporary does not exist for loaders.
            BertIndexer.Load(dir).Should().BeOfType<SentencePieceIndexer>().Which.IsBpe.Should().BeTrue();

            // After the journal, the pending save's model is read from its temporary (checked against the journal's SHA-256).
            var entry = new SaveManifest.Entry("spiece.model", temp, new FileInfo(Path.Combine(dir, temp)).Length,
                Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, temp)))));
            File.WriteAllText(Path.Combine(dir, SaveManifest.PendingName), SaveManifest.ToJson("classifier", [entry], withTemp: true));
            BertIndexer.Load(dir).Should().BeOfType<SentencePieceIndexer>().Which.IsBpe.Should().BeFalse();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Changing_options_after_loading_does_not_change_the_indexer()
    {
        var options = new SentencePieceIndexerOptions { MaxSequenceLength = 16 };
        var indexer = SentencePieceIndexer.Load(Path.Combine(SpmDir, "unigram-ja.model"), options);
        options.MaxSequenceLength = 4;
        indexer.Options.MaxSequenceLength = 5;
        indexer.MaxSequenceLength.Should().Be(16);
    }

    public static TheoryData<string> Models => new() { "spm/unigram-ja.model", "spm/bpe-ja.model", "wordpiece/vocab.txt" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Odd_input_never_throws_and_respects_the_limit(string model)
    {
        var indexer = BertIndexer.Load(Path.Combine(AppContext.BaseDirectory, "TestData", model),
            new SentencePieceIndexerOptions { MaxSequenceLength = 64, ReturnPieces = true });
        var everyBmpChar = new string(Enumerable.Range(0, 0xD800).Select(c => (char)c).ToArray());
        string[] texts =
        [
            "\ud800", "\udc00abc\ud83d", "\0\0", "\uffff\ufffe", "\u0085\u2028\u2029\u00ad", everyBmpChar,
            new string('x', 200_000), string.Concat(Enumerable.Repeat("🇯🇵👨‍👩‍👧", 5000)), "[CLS][SEP][PAD][MASK]<unk>[UNK]",
        ];
        foreach (var text in texts)
        {
            var single = indexer.Encode(text);
            var pair = indexer.Encode(text, text);
            foreach (var encoded in new[] { single, pair })
            {
                encoded.Length.Should().BeLessThanOrEqualTo(64);
                encoded.InputIds.Should().OnlyContain(id => id >= 0 && id < indexer.VocabSize);
                encoded.Pieces.Should().HaveCount(encoded.Length);
            }
            var tokenized = indexer.Tokenize(text);
            tokenized.Ids.Should().Equal(indexer.TokenizeToIds(text));
            tokenized.Pieces.Should().Equal(indexer.TokenizeToPieces(text));
        }
    }
}
