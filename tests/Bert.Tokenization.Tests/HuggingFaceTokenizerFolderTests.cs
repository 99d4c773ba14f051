namespace Bert.Tokenization.Tests;

/// <summary>
/// Tokenizer files of a Hugging Face folder: every option of an indexer survives a write and a read (whatever the
/// source file was called), transformers' defaults apply where the folder says nothing, and conflicting or malformed
/// files are refused by name.
/// </summary>
public class HuggingFaceTokenizerFolderTests : IDisposable
{
    private static readonly string Vocab = Path.Combine(AppContext.BaseDirectory, "TestData", "wordpiece", "vocab.txt");
    private static readonly string Bpe = Path.Combine(AppContext.BaseDirectory, "TestData", "spm", "bpe-ja.model");
    private readonly string dir = Directory.CreateTempSubdirectory("bert-tok-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private IBertIndexer RoundTrip(IBertIndexer indexer)
    {
        HuggingFaceTokenizerFolder.Write(indexer, (name, write) =>
        {
            using var file = File.Create(Path.Combine(dir, name));
            write(file);
        });
        return BertIndexer.Load(dir);
    }

    private static readonly string[] Texts = ["Héllo WORLD, naïve 日本語!", "unaffable worlds", "Jack dull 😀 abc", "NAIVE cafe"];

    [Fact]
    public void Every_wordpiece_option_survives_a_round_trip_even_from_a_vocabulary_not_named_vocab_txt()
    {
        string renamed = Path.Combine(dir, "my-vocab.list");
        File.Copy(Vocab, renamed);
        var options = new WordPieceIndexerOptions
        {
            LowerCase = true, StripAccents = false, TokenizeChineseChars = false, MaxInputCharsPerWord = 7,
            MaxSequenceLength = 9, Padding = BertPadding.MaxLength, ReturnPieces = true,
        };
        var original = WordPieceIndexer.Load(renamed, options);
        File.Delete(renamed);
        var loaded = RoundTrip(original).Should().BeOfType<WordPieceIndexer>().Subject;

        loaded.Options.Should().BeEquivalentTo(original.Options);
        foreach (var text in Texts)
            loaded.Encode(text).Should().BeEquivalentTo(original.Encode(text), text);
    }

    [Fact]
    public void Every_sentencepiece_option_survives_a_round_trip()
    {
        var original = SentencePieceIndexer.Load(Bpe, new SentencePieceIndexerOptions { LowerCase = true, MaxSequenceLength = 11 });
        var loaded = RoundTrip(original).Should().BeOfType<SentencePieceIndexer>().Subject;
        loaded.Options.Should().BeEquivalentTo(original.Options);
        File.ReadAllBytes(Path.Combine(dir, "spiece.model")).Should().Equal(File.ReadAllBytes(Bpe));
        foreach (var text in Texts)
            loaded.Encode(text).Should().BeEquivalentTo(original.Encode(text), text);
    }

    [Fact]
    public void A_vocab_txt_without_settings_is_uncased_as_transformers_reads_it()
    {
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), "{\"cls_token\": {\"content\": \"[CLS]\", \"lstrip\": false}}");
        var indexer = BertIndexer.Load(dir).Should().BeOfType<WordPieceIndexer>().Subject;
        indexer.Options.LowerCase.Should().BeTrue();
        indexer.TokenizeToPieces("HELLO Naïve").Should().Equal("hello", "naive");
    }

    [Fact]
    public void Special_and_added_tokens_in_a_text_stay_whole_as_transformers_keeps_them()
    {
        // transformers' BertTokenizer: the text is split at special and added tokens first (PreTrainedTokenizer.tokenize),
        // so "a [MASK] b" is a, [MASK], b; added tokens missing from vocab.txt take the ids after it (added_tokens.json).
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "added_tokens.json"), """{"[E1]": 29, "[/E1]": 30}""");
        var indexer = BertIndexer.Load(dir).Should().BeOfType<WordPieceIndexer>().Subject;

        indexer.VocabSize.Should().Be(31);
        indexer.TokenizeToPieces("Hello [MASK] world").Should().Equal("hello", "[MASK]", "world");
        indexer.TokenizeToIds("[E1]hello[/E1] [e1] world").Should().Equal(29, 8, 30, 29, 10);
        // A special token is matched in its own case only: "[mask]" is text (x, [, mask, ] are unknown here).
        indexer.TokenizeToPieces("x [mask]").Should().Equal("[UNK]", "[UNK]", "[UNK]", "[UNK]");
        indexer.Encode("[SEP] abc").InputIds.Should().Equal(2, 3, 28, 3);

        // A Bert.NET save keeps the added tokens out of vocab.txt, so transformers and this loader read the same ids.
        var loaded = RoundTrip(indexer).Should().BeOfType<WordPieceIndexer>().Subject;
        File.ReadAllLines(Path.Combine(dir, "vocab.txt")).Should().HaveCount(29);
        loaded.Options.Should().BeEquivalentTo(indexer.Options);
        loaded.TokenizeToIds("[E1]hello[/E1] [MASK]").Should().Equal(29, 8, 30, 4);

        // Google's semantics, as WordPieceIndexer.Load gives them: special tokens are text.
        WordPieceIndexer.Load(Vocab, new WordPieceIndexerOptions { LowerCase = true }).TokenizeToPieces("hello [MASK]")
            .Should().Equal("hello", "[UNK]", "[UNK]", "[UNK]");
    }

    [Fact]
    public void A_special_added_token_is_matched_in_its_own_case_and_hugging_face_drops_private_use_characters()
    {
        // transformers matches special tokens exactly on the raw text; a non-special (normalized) one also lower-cased.
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """
            {"do_lower_case": true, "added_tokens_decoder": {
              "29": {"content": "[E1]", "special": true, "normalized": false},
              "30": {"content": "[E2]", "special": false, "normalized": true}},
             "additional_special_tokens": ["[E1]"]}
            """);
        var indexer = BertIndexer.Load(dir);
        indexer.TokenizeToIds("[E1] [e1] [E2] [e2]").Should().Equal(29, 1, 1, 1, 30, 30);
        // _is_control of transformers drops every category C*: private use and unassigned characters vanish.
        indexer.TokenizeToIds("a\ue000bc a\U000F0000bc a\u0378bc").Should().Equal(28, 28, 28);
        WordPieceIndexer.Load(Vocab).TokenizeToIds("a\ue000bc").Should().Equal(1);

        // A save keeps which added tokens are special (added_tokens_decoder), so a reload matches the same way.
        var loaded = RoundTrip(indexer);
        loaded.TokenizeToIds("[E1] [e1] [E2] [e2]").Should().Equal(29, 1, 1, 1, 30, 30);
        File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")).Should().Contain("\"special\": true");
    }

    [Theory]
    [InlineData("""{"[E1]": 31}""", "*'[E1]' the id 31, but the vocabulary gives it 29*")]
    [InlineData("""{"hello": 3}""", "*'hello' the id 3, but the vocabulary gives it 8*")]
    [InlineData("""{"[E1]": "29"}""", "*the id of '[E1]' is ?29?; expected a token id*")]
    public void Added_tokens_whose_ids_disagree_with_the_vocabulary_are_refused(string json, string message)
    {
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "added_tokens.json"), json);
        var act = () => BertIndexer.Load(dir);
        act.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void Added_tokens_of_tokenizer_config_and_tokenizer_json_are_read_and_a_sentencepiece_folder_refuses_them()
    {
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """
            {"do_lower_case": true, "added_tokens_decoder": {
              "0": {"content": "[PAD]", "special": true}, "4": {"content": "[MASK]", "special": true},
              "29": {"content": "<ent>", "special": false, "lstrip": false, "rstrip": false, "normalized": true, "single_word": false}}}
            """);
        BertIndexer.Load(dir).TokenizeToIds("a<ent>abc <ENT>").Should().Equal(25, 29, 28, 29);

        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"added_tokens_decoder": {"29": {"content": "<e>", "single_word": true}}}""");
        var singleWord = () => BertIndexer.Load(dir);
        singleWord.Should().Throw<InvalidDataException>().WithMessage("*'<e>' is single_word*");

        string spm = Directory.CreateDirectory(Path.Combine(dir, "spm")).FullName;
        File.Copy(Bpe, Path.Combine(spm, "spiece.model"));
        File.WriteAllText(Path.Combine(spm, "added_tokens.json"), """{"<new>": 800}""");
        var sentencePiece = () => BertIndexer.Load(spm);
        sentencePiece.Should().Throw<InvalidDataException>().WithMessage("*adds the token '<new>' (id 800); added tokens are read with a WordPiece vocab.txt, not with a SentencePiece model.");
    }

    [Fact]
    public void A_wordpiece_tokenizer_json_is_read_when_it_is_the_only_tokenizer_file()
    {
        var pieces = File.ReadAllLines(Vocab);
        var vocab = string.Join(", ", pieces.Select((p, i) => $"{System.Text.Json.JsonSerializer.Serialize(p)}: {i}"));
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"),
            "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": false, \"strip_accents\": null, \"handle_chinese_chars\": true, \"clean_text\": true}," +
            "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\", \"max_input_chars_per_word\": 100, \"vocab\": {" + vocab + "}}}");
        var fromJson = BertIndexer.Load(dir);
        var fromVocab = WordPieceIndexer.Load(Vocab);
        foreach (var text in Texts)
            fromJson.Encode(text).Should().BeEquivalentTo(fromVocab.Encode(text), text);
    }

    [Fact]
    public void Two_conflicting_tokenizer_files_are_refused_naming_both()
    {
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.Copy(Bpe, Path.Combine(dir, "spiece.model"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"do_lower_case\": false}");
        var load = () => BertIndexer.Load(dir);
        load.Should().Throw<InvalidDataException>().WithMessage("*vocab.txt*spiece.model*");
    }

    [Theory]
    [InlineData("{\"do_lower_case\": \"yes\"}", "*do_lower_case*")]
    [InlineData("{\"cls_token\": 5}", "*cls_token*")]
    [InlineData("{\"bert_net\": {\"padding\": \"1\"}}", "*padding*")]
    [InlineData("[1, 2]", "*tokenizer_config.json*")]
    [InlineData("{\"bert_net\": {\"max_input_chars_per_word\": 1.5}}", "*tokenizer_config.json*max_input_chars_per_word*positive whole number*")]
    [InlineData("{\"bert_net\": {\"max_input_chars_per_word\": \"100\"}}", "*tokenizer_config.json*max_input_chars_per_word*")]
    [InlineData("{\"bert_net\": {\"max_input_chars_per_word\": -3}}", "*tokenizer_config.json*max_input_chars_per_word*")]
    public void Malformed_settings_are_refused_naming_the_file_and_field(string json, string message)
    {
        File.Copy(Vocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), json);
        var load = () => BertIndexer.Load(dir);
        load.Should().Throw<InvalidDataException>().WithMessage(message);
    }
}
