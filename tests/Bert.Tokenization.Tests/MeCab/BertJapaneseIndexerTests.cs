using System.Text;
using Bert.Tests;
using Bert.Tokenization.MeCab;

namespace Bert.Tokenization.Tests.MeCab;

/// <summary>
/// <see cref="BertJapaneseIndexer"/> against a Python reference of Hugging Face's BertJapaneseTokenizer over
/// mecab's words (TestData/mecab/make_bert_japanese_goldens.py, with its vocabulary built from MeCab words).
/// </summary>
public sealed class BertJapaneseIndexerTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("bert-japanese-").FullName;

    public void Dispose() => Directory.Delete(scratch, true);

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Wordpiece_matches_the_reference() => CheckGoldens("wordpiece", false);

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Wordpiece_lower_cased_matches_the_reference() => CheckGoldens("wordpiece", true);

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Character_matches_the_reference() => CheckGoldens("character", false);

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Character_lower_cased_matches_the_reference() => CheckGoldens("character", true);

    private void CheckGoldens(string subword, bool lower)
    {
        var folder = Folder(subword, lower, $"\"mecab_kwargs\": {{\"mecab_dic\": null, \"mecab_option\": \"-d {MeCabFixtures.Ipadic}\"}}");
        var indexer = BertIndexer.Load(folder).Should().BeOfType<BertJapaneseIndexer>().Subject;
        indexer.Options.LowerCase.Should().Be(lower);
        indexer.Options.SubwordType.Should().Be(subword == "wordpiece" ? BertJapaneseSubwordType.WordPiece : BertJapaneseSubwordType.Character);
        var golden = $"bert-japanese-{subword}{(lower ? "-lower" : "")}.tsv";
        var lines = File.ReadAllLines(MeCabFixtures.TestData(golden), Encoding.UTF8);
        lines.Should().HaveCount(54);
        foreach (var line in lines)
        {
            var columns = line.Split('\t');
            var text = Encoding.UTF8.GetString(MeCabFixtures.Unescape(columns[0]));
            var expectedPieces = columns[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var expectedIds = columns[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            var tokens = indexer.Tokenize(text);
            tokens.Pieces.Should().Equal(expectedPieces, $"{golden}: {columns[0]}");
            tokens.Ids.Should().Equal(expectedIds, $"{golden}: {columns[0]}");
            indexer.TokenizeToIds(text).Should().Equal(expectedIds);
        }
    }

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Pairs_are_assembled_and_truncated_as_bert()
    {
        var folder = Folder("wordpiece", false, $"\"mecab_kwargs\": {{\"mecab_option\": \"-d '{MeCabFixtures.Ipadic}'\", \"mecab_dic\": null}}");
        var indexer = BertJapaneseIndexer.Load(folder, new BertJapaneseIndexerOptions { MaxSequenceLength = 8, ReturnPieces = true });
        var input = indexer.Encode("吾輩は猫である", "猫");
        input.Pieces.Should().Equal("[CLS]", "吾", "##輩", "は", "猫", "[SEP]", "猫", "[SEP]");
        input.TokenTypeIds.Should().Equal(0, 0, 0, 0, 0, 0, 1, 1);
        input.Truncated.Should().BeTrue();
        input.InputIds[0].Should().Be(indexer.ClsId);
        indexer.Decode(input.InputIds).Should().Be("吾輩 は 猫 猫");
        indexer.EncodeMany(["猫", "猫"], ["猫", "猫"]).Should().HaveCount(2);
    }

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void A_folder_in_mecab_option_wins_over_the_default_mecab_dic_and_added_tokens_are_refused_not_ignored()
    {
        // MecabTokenizer passes mecab_dic's -d first and mecab_option after it; MeCab takes the last -d.
        var folder = Folder("wordpiece", false, $"\"mecab_kwargs\": {{\"mecab_option\": \"-d {MeCabFixtures.Ipadic}\"}}");
        BertIndexer.Load(folder).Should().BeOfType<BertJapaneseIndexer>().Which.Tagger.Dictionary.Folder.Should().Be(MeCabFixtures.Ipadic);

        int size = File.ReadAllLines(Path.Combine(folder, "vocab.txt")).Length;
        File.WriteAllText(Path.Combine(folder, "added_tokens.json"), $"{{\"[NEW]\": {size}}}");
        FluentActions.Invoking(() => BertIndexer.Load(folder)).Should().Throw<InvalidDataException>()
            .WithMessage("*adds the token '[NEW]'*not with a MeCab folder.");
    }

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void A_python_dictionary_package_needs_a_folder()
    {
        // cl-tohoku/bert-base-japanese's configuration.
        var folder = Folder("wordpiece", false, "\"mecab_kwargs\": {\"mecab_dic\": \"ipadic\"}, \"tokenizer_class\": \"BertJapaneseTokenizer\"");
        FluentActions.Invoking(() => BertIndexer.Load(folder))
            .Should().Throw<ArgumentException>().WithMessage("*'ipadic'*MeCabDictionaryFolder*mecab-ipadic-utf8*");
        var indexer = BertJapaneseIndexer.Load(folder, new BertJapaneseIndexerOptions { MeCabDictionaryFolder = MeCabFixtures.Ipadic });
        indexer.TokenizeToPieces("吾輩は猫である").Should().Equal("吾", "##輩", "は", "猫", "で", "あ", "##る");
        indexer.Tagger.Dictionary.Folder.Should().Be(MeCabFixtures.Ipadic);
    }

    [Fact]
    public void Configurations_that_are_not_mecab_are_refused()
    {
        var basic = Folder("wordpiece", false, "\"mecab_kwargs\": {\"mecab_dic\": null}", word: "basic");
        FluentActions.Invoking(() => BertJapaneseIndexer.Load(basic))
            .Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json*word_tokenizer_type 'basic'*");
        var sentencePiece = Folder("sentencepiece", false, "\"mecab_kwargs\": {\"mecab_dic\": null}");
        FluentActions.Invoking(() => BertJapaneseIndexer.Load(sentencePiece))
            .Should().Throw<InvalidDataException>().WithMessage("*subword_tokenizer_type 'sentencepiece'*");
        var noDictionary = Folder("wordpiece", false, "\"mecab_kwargs\": {\"mecab_dic\": null, \"mecab_option\": \"-r /dev/null\"}");
        FluentActions.Invoking(() => BertJapaneseIndexer.Load(noDictionary))
            .Should().Throw<ArgumentException>().WithMessage("*no MeCab dictionary*");
        var userDictionary = Folder("wordpiece", false, "\"mecab_kwargs\": {\"mecab_dic\": null, \"mecab_option\": \"-d /x -u user.dic\"}");
        FluentActions.Invoking(() => BertJapaneseIndexer.Load(userDictionary))
            .Should().Throw<InvalidDataException>().WithMessage("*user dictionary*");
        File.WriteAllText(Path.Combine(basic, "tokenizer_config.json"), "{ not json");
        FluentActions.Invoking(() => BertJapaneseIndexer.Load(basic))
            .Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json*not valid JSON*");
    }

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Save_writes_a_folder_that_loads_to_the_same_tokenizer()
    {
        var source = Folder("character", true, $"\"mecab_kwargs\": {{\"mecab_dic\": null, \"mecab_option\": \"-d {MeCabFixtures.Ipadic}\"}}");
        var indexer = BertJapaneseIndexer.Load(source, new BertJapaneseIndexerOptions { MaxSequenceLength = 40 });
        var saved = Path.Combine(scratch, "saved");
        Directory.CreateDirectory(saved);
        HuggingFaceTokenizerFolder.Write(indexer, (name, write) =>
        {
            using var file = File.Create(Path.Combine(saved, name));
            write(file);
        });
        File.ReadAllText(Path.Combine(saved, "vocab.txt")).Should().Be(File.ReadAllText(Path.Combine(source, "vocab.txt")));
        var loaded = BertIndexer.Load(saved).Should().BeOfType<BertJapaneseIndexer>().Subject;
        loaded.Options.LowerCase.Should().BeTrue();
        loaded.Options.SubwordType.Should().Be(BertJapaneseSubwordType.Character);
        loaded.MaxSequenceLength.Should().Be(512, "model_max_length is informative; the options give the length");
        loaded.Tagger.Dictionary.Folder.Should().Be(MeCabFixtures.Ipadic);
        foreach (var line in File.ReadAllLines(MeCabFixtures.TestData("bert-japanese-character-lower.tsv"), Encoding.UTF8))
        {
            var text = Encoding.UTF8.GetString(MeCabFixtures.Unescape(line.Split('\t')[0]));
            loaded.TokenizeToIds(text).Should().Equal(indexer.TokenizeToIds(text));
        }
    }

    [Theory]
    [InlineData("-d /a/b", "/a/b")]
    [InlineData("-d \"/with space/dic\" -r /dev/null", "/with space/dic")]
    [InlineData("-r /dev/null -d/q", "/q")]
    [InlineData("--dicdir=/z", "/z")]
    [InlineData("--dicdir /y -Owakati", "/y")]
    [InlineData("-Owakati", null)]
    public void The_dictionary_is_read_from_mecab_option(string option, string? folder) =>
        BertJapaneseConfig.DictionaryOption(option, "tokenizer_config.json").Should().Be(folder);

    [Fact]
    public void Added_token_objects_name_the_special_tokens_and_a_relative_dictionary_is_the_folders()
    {
        var folder = Folder("character", false,
            "\"mecab_kwargs\": {\"mecab_dic\": null, \"mecab_option\": \"-d tiny\"}, \"unk_token\": {\"content\": \"[UNK]\", \"lstrip\": false}");
        CopyTiny(Path.Combine(folder, "tiny"));
        var indexer = BertJapaneseIndexer.Load(folder);
        indexer.Tagger.Dictionary.Folder.Should().Be(Path.Combine(folder, "tiny"));
        indexer.TokenizeToPieces("猫が😀").Should().Equal("猫", "が", "[UNK]");
    }

    private static void CopyTiny(string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(MeCabFixtures.TestData("tiny")))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }

    private string Folder(string subword, bool lower, string mecab, string word = "mecab")
    {
        var folder = Path.Combine(scratch, $"{word}-{subword}-{lower}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        File.Copy(MeCabFixtures.TestData("bert-japanese/vocab.txt"), Path.Combine(folder, "vocab.txt"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), $$"""
            {"do_lower_case": {{(lower ? "true" : "false")}}, "word_tokenizer_type": "{{word}}", "subword_tokenizer_type": "{{subword}}", {{mecab}}, "model_max_length": 512}
            """);
        return folder;
    }
}
