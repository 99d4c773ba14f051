using Bert.Core;
using System.Text;
using Bert.Classification.Data;
using Bert.Cli.SampleData;
using Bert.Classification.Tests.Data;
using Bert.Tests;

namespace Bert.Classification.Tests.SampleData;

public sealed class KnbcCorpusTests
{
    static KnbcCorpusTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private const string Corpus = "data/knbc/corpus2";
    private static readonly Lazy<IReadOnlyList<KnbcSentence>> All = new(() => KnbcCorpus.Load(SharedData.PathOf("data/knbc")));

    [SharedFact(Corpus)]
    public void Loads_4186_sentences_in_249_articles_with_the_documented_topic_counts()
    {
        var all = All.Value;
        all.Should().HaveCount(4186);
        all.Select(e => e.Article).Distinct().Should().HaveCount(249);
        all.GroupBy(e => e.Topic).ToDictionary(g => g.Key, g => g.Count()).Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["グルメ"] = 888, ["携帯電話"] = 1278, ["京都"] = 1498, ["スポーツ"] = 522,
        });
        all.GroupBy(e => e.Topic).ToDictionary(g => g.Key, g => g.Select(e => e.Article).Distinct().Count()).Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["グルメ"] = 57, ["携帯電話"] = 79, ["京都"] = 91, ["スポーツ"] = 22,
        });
        all[0].Should().BeEquivalentTo(new KnbcSentence("KN012_Gourmet_1-1-1-01", "KN012_Gourmet_1", "［グルメ］烏丸六角のおかき屋さん", "グルメ", true, ["", "", "", ""]));
        all[1].IsTitle.Should().BeFalse();
        var topics = KnbcCorpus.TopicExamples(all);
        topics[0].Should().Be(new TextExample("［グルメ］烏丸六角のおかき屋さん", "グルメ") { Id = "KN012_Gourmet_1-1-1-01", GroupId = "KN012_Gourmet_1" });
        KnbcCorpus.TopicExamples(all, dropTitles: true).Should().HaveCount(4186 - 249);
        KnbcCorpus.Labels.Should().Equal("グルメ", "携帯電話", "京都", "スポーツ");
    }

    [SharedFact(Corpus)]
    public void Marks_the_first_sentence_of_each_article_as_its_title()
    {
        var titles = All.Value.Where(e => e.IsTitle).ToList();
        titles.Should().HaveCount(249);
        titles.Select(t => t.Article).Should().OnlyHaveUniqueItems();
        titles.Should().OnlyContain(t => t.Text.StartsWith('［'), "every KNBC title starts with its topic in fullwidth brackets");
        All.Value.Where(e => !e.IsTitle).Should().NotContain(e => e.Text.StartsWith("［グルメ］", StringComparison.Ordinal));
    }

    [SharedFact(Corpus, "models/wiki-ja/knbc-spm_encode-ids.tsv")]
    public void Decoded_sentences_equal_the_independently_converted_utf8_text()
    {
        // knbc-spm_encode-ids.tsv holds every KNBC sentence converted to UTF-8 outside .NET (first column).
        var reference = File.ReadAllLines(SharedData.PathOf("models/wiki-ja/knbc-spm_encode-ids.tsv"), Encoding.UTF8)
            .Select(l => l[..l.IndexOf('\t', StringComparison.Ordinal)]).ToList();
        All.Value.Select(e => e.Text).Should().Equal(reference);
    }

    [SharedFact(Corpus)]
    public void Reads_the_evaluative_annotation_columns()
    {
        var annotated = All.Value.Where(e => e.EvaluationTypes.Count > 0).ToList();
        annotated.Should().HaveCount(4186 - 2141, "2141 sentences have empty annotation columns");
        All.Value.SelectMany(e => e.EvaluationTypes).Should().Contain(["批評＋", "メリット＋", "感情−"]);
        All.Value.Should().Contain(e => e.EvaluationTypes.Count > 1, "a cell may hold several annotations separated by \\n");
    }

    [SharedFact(Corpus)]
    public void Accepts_the_corpus2_folder_itself()
    {
        KnbcCorpus.Load(SharedData.PathOf(Corpus)).Should().HaveCount(4186);
    }

    [SharedFact(Corpus)]
    public void Utf8_text_where_euc_jp_is_expected_names_the_file_and_line()
    {
        using var temp = new TempFolder();
        var source = SharedData.PathOf(Corpus + "/Sports.tsv");
        var eucJp = Encoding.GetEncoding(51932);
        var utf8 = Encoding.UTF8.GetBytes(eucJp.GetString(File.ReadAllBytes(source)));
        var path = temp.File("Sports.tsv");
        File.WriteAllBytes(path, utf8);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("line 1:").And.Contain("EUC-JP");

        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. utf8]);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(path)).Should().Throw<InvalidDataException>()
            .WithMessage("*line 1*byte-order mark*");
    }

    [SharedFact(Corpus)]
    public void A_file_cut_inside_a_character_names_the_last_line()
    {
        using var temp = new TempFolder();
        var bytes = File.ReadAllBytes(SharedData.PathOf(Corpus + "/Sports.tsv"));
        // Cut after the first byte of the last line's final two-byte character (before its '\n').
        var cut = bytes.Length - 2;
        bytes[cut - 1].Should().BeGreaterThanOrEqualTo(0xA1, "the byte before the cut is the lead byte of a two-byte character");
        var path = temp.File("Sports.tsv");
        File.WriteAllBytes(path, bytes[..cut]);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(path)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{path}, line 522:*");
    }

    [Fact]
    public void Decodes_the_six_jis_codes_where_dotnet_differs_as_iconv_and_python_do()
    {
        // Python 3: bytes.fromhex('a1c1 a1c2 a1dd a1f1 a1f2 a2cc').decode('euc_jp') == '\u301c\u2016\u2212\xa2\xa3\xac'.
        using var temp = new TempFolder();
        var path = temp.File("Kyoto.tsv");
        File.WriteAllBytes(path, [.. "KN1_Kyoto_1-1\t"u8, 0xA1, 0xC1, 0xA1, 0xC2, 0xA1, 0xDD, 0xA1, 0xF1, 0xA1, 0xF2, 0xA2, 0xCC, (byte)'\n']);
        KnbcCorpus.LoadFile(path).Single().Text.Should().Be("\u301C\u2016\u2212\u00A2\u00A3\u00AC");
    }

    [Fact]
    public void Three_byte_jis_x_0212_characters_are_reported_as_unsupported_not_garbled()
    {
        using var temp = new TempFolder();
        var path = temp.File("Kyoto.tsv");
        File.WriteAllBytes(path, [.. "KN1_Kyoto_1-1\tok\nKN1_Kyoto_1-2\t"u8, 0x8F, 0xB0, 0xA1, (byte)'\n']);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(path)).Should().Throw<InvalidDataException>().WithMessage($"{path}, line 2: invalid*");
    }

    [Fact]
    public void Malformed_rows_name_the_file_and_line()
    {
        using var temp = new TempFolder();
        var eucJp = Encoding.GetEncoding(51932);
        var cases = new (string Content, string Expected)[]
        {
            ("KN1_Sports_1-1-1-01\t［スポーツ］題\t\t\t\t\nKN1_Sports_1-1-2-01\n", "*line 2: one column*"),
            ("KN1_Sports_1-1-1-01\t［スポーツ］題\t\t\t\t\n\nKN1_Sports_1-1-2-01\t文\n", "*line 2: an empty line*"),
            ("KN1_Sports_1-1-1-01\t［スポーツ］題\nKN1_Sports_1-1-1-01\t文\n", "*line 2: sentence id 'KN1_Sports_1-1-1-01' repeats line 1*"),
            ("KN1_Sports_1\t文\n", "*line 1: the sentence id 'KN1_Sports_1' has no article part*"),
            ("KN1_Sports_1-1-1-01\t\t\t\t\t\n", "*line 1: the sentence of 'KN1_Sports_1-1-1-01' is empty*"),
            ("\tこんにちは\n", "*line 1: the sentence id '' is empty*"),
        };
        foreach (var (content, expected) in cases)
        {
            var path = temp.File("Sports.tsv");
            File.WriteAllBytes(path, eucJp.GetBytes(content));
            FluentActions.Invoking(() => KnbcCorpus.LoadFile(path)).Should().Throw<InvalidDataException>().WithMessage(path + "*").WithMessage(expected);
        }
    }

    [Fact]
    public void Empty_files_directories_and_missing_files_give_documented_exceptions()
    {
        using var temp = new TempFolder();
        var empty = temp.File("Gourmet.tsv");
        File.WriteAllBytes(empty, []);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(empty)).Should().Throw<InvalidDataException>().WithMessage($"{empty}: the file is empty*");
        var folder = temp.File("Keitai.tsv");
        Directory.CreateDirectory(folder);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(folder)).Should().Throw<ArgumentException>().WithMessage($"*{folder}*is a directory*");
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(temp.File("Kyoto.tsv"))).Should().Throw<FileNotFoundException>().WithMessage($"*{temp.File("Kyoto.tsv")}*");
        File.WriteAllBytes(temp.File("Other.tsv"), "KN1_X_1-1\tx\n"u8.ToArray());
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(temp.File("Other.tsv"))).Should().Throw<ArgumentException>().WithMessage("*Cannot tell the KNBC topic*");
        KnbcCorpus.LoadFile(temp.File("Other.tsv"), "x").Should().ContainSingle();
        FluentActions.Invoking(() => KnbcCorpus.Load(empty)).Should().Throw<ArgumentException>().WithMessage("*is a file*");
        FluentActions.Invoking(() => KnbcCorpus.Load(temp.File("absent"))).Should().Throw<DirectoryNotFoundException>();
        // The folder exists but holds only an (empty) Gourmet.tsv: that one is reported first.
        FluentActions.Invoking(() => KnbcCorpus.Load(temp.Path)).Should().Throw<InvalidDataException>().WithMessage($"{empty}*");
    }

    [Fact]
    public void A_missing_corpus_file_is_named()
    {
        using var temp = new TempFolder();
        var eucJp = Encoding.GetEncoding(51932);
        File.WriteAllBytes(temp.File("Gourmet.tsv"), eucJp.GetBytes("KN1_Gourmet_1-1-1-01\t［グルメ］題\t\t\t\t\n"));
        FluentActions.Invoking(() => KnbcCorpus.Load(temp.Path)).Should().Throw<FileNotFoundException>().WithMessage($"*{temp.File("Keitai.tsv")}*");
    }

    [Fact]
    public void Binary_junk_is_invalid_data_naming_the_file()
    {
        using var temp = new TempFolder();
        var rng = new Pcg64(99);
        var junk = new byte[4096];
        for (var i = 0; i < junk.Length; i++)
            junk[i] = (byte)rng.NextInt(256);
        var path = temp.File("Kyoto.tsv");
        File.WriteAllBytes(path, junk);
        FluentActions.Invoking(() => KnbcCorpus.LoadFile(path)).Should().Throw<InvalidDataException>().WithMessage(path + ", line *");
    }

    [SharedFact(Corpus)]
    public void Mutated_copies_of_a_real_file_load_or_fail_with_a_documented_exception_naming_the_file()
    {
        using var temp = new TempFolder();
        var original = File.ReadAllBytes(SharedData.PathOf(Corpus + "/Sports.tsv"));
        var rng = new Pcg64(20261125);
        var outcomes = new Dictionary<string, int>();
        for (var c = 0; c < 1000; c++)
        {
            var (bytes, what) = Mutate(original, rng);
            var path = temp.File("Sports.tsv");
            File.WriteAllBytes(path, bytes);
            try
            {
                var loaded = KnbcCorpus.LoadFile(path);
                loaded.Should().OnlyContain(e => e.Topic == "スポーツ" && e.Text.Length > 0 && e.Article.Length > 0, $"case {c} ({what})");
                outcomes["loaded"] = outcomes.GetValueOrDefault("loaded") + 1;
            }
            catch (InvalidDataException e)
            {
                e.Message.Should().StartWith(path, $"case {c} ({what})");
                outcomes["invalid"] = outcomes.GetValueOrDefault("invalid") + 1;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case {c} ({what}) threw {e.GetType().Name}: {e.Message}");
            }
        }
        outcomes["invalid"].Should().BeGreaterThan(300, "most mutations break EUC-JP or the row format");
        outcomes.GetValueOrDefault("loaded").Should().BeGreaterThan(0, "some mutations leave a readable file");
    }

    /// <summary>A seeded mutation: truncation, flipped bytes, inserted or deleted ranges, tabs/newlines, duplicated lines.</summary>
    internal static (byte[] Bytes, string What) Mutate(byte[] original, Pcg64 rng)
    {
        var kind = rng.NextInt(7);
        var bytes = new List<byte>(original);
        var at = rng.NextInt(original.Length);
        switch (kind)
        {
            case 0:
                return (original[..at], $"truncated at {at}");
            case 1:
                for (var i = 0; i < 1 + rng.NextInt(4); i++)
                {
                    var p = rng.NextInt(bytes.Count);
                    bytes[p] ^= (byte)(1 << rng.NextInt(8));
                }
                return (bytes.ToArray(), "flipped bits");
            case 2:
                var junk = Enumerable.Range(0, 1 + rng.NextInt(16)).Select(_ => (byte)rng.NextInt(256)).ToArray();
                bytes.InsertRange(at, junk);
                return (bytes.ToArray(), $"inserted {junk.Length} random bytes at {at}");
            case 3:
                var count = Math.Min(1 + rng.NextInt(200), original.Length - at);
                bytes.RemoveRange(at, count);
                return (bytes.ToArray(), $"deleted {count} bytes at {at}");
            case 4:
                bytes[at] = rng.NextInt(2) == 0 ? (byte)'\t' : (byte)'\n';
                return (bytes.ToArray(), $"tab/newline at {at}");
            case 5:
                bytes[at] = 0;
                return (bytes.ToArray(), $"NUL at {at}");
            default:
                var start = Array.LastIndexOf(original, (byte)'\n', Math.Max(0, at - 1)) + 1;
                var end = Array.IndexOf(original, (byte)'\n', at);
                var line = original[start..(end < 0 ? original.Length : end + 1)];
                bytes.InsertRange(start, line);
                return (bytes.ToArray(), $"duplicated the line at {start}");
        }
    }
}
