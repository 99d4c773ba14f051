using System.Text;
using Bert.Tests;
using Bert.Tokenization.MeCab;
using Xunit.Abstractions;

namespace Bert.Tokenization.Tests.MeCab;

/// <summary>
/// <see cref="MeCabTagger"/> against Debian's mecab 0.996: committed goldens of edge cases (made by
/// TestData/mecab/make_wakati_goldens.py) and, when the shared data and the binary are present, every KNBC
/// sentence and every line of the Aozora text run through mecab live.
/// </summary>
public sealed class MeCabTaggerTests(ITestOutputHelper output)
{
    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Ipadic_edge_cases_match_mecab_wakati_goldens() => CheckGoldens(MeCabFixtures.Ipadic, "wakati-ipadic.tsv");

    [MeCabFact(false, MeCabFixtures.Jumandic)]
    public void Jumandic_edge_cases_match_mecab_wakati_goldens() => CheckGoldens(MeCabFixtures.Jumandic, "wakati-jumandic.tsv");

    private void CheckGoldens(string folder, string golden)
    {
        var tagger = MeCabFixtures.Tagger(folder);
        var lines = File.ReadAllLines(MeCabFixtures.TestData(golden), Encoding.UTF8);
        lines.Should().HaveCountGreaterThan(300);
        var checkedStrings = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var columns = lines[i].Split('\t');
            columns.Should().HaveCount(2, $"{golden} line {i + 1} has an input and an output");
            var input = MeCabFixtures.Unescape(columns[0]);
            var expected = MeCabFixtures.Unescape(columns[1]);
            var actual = new List<byte>();
            MeCabFixtures.AppendWakati(tagger, input, actual);
            Encoding.UTF8.GetString([.. actual]).Should().Be(Encoding.UTF8.GetString(expected) + "\n", $"{golden} line {i + 1}: {columns[0]}");
            actual.Should().Equal([.. expected, (byte)'\n'], $"{golden} line {i + 1} byte for byte");

            // The string API gives the same words whenever mecab's output is whole characters.
            var text = Encoding.UTF8.GetString(input);
            var expectedText = Encoding.UTF8.GetString(expected);
            if (!expectedText.Contains('\uFFFD', StringComparison.Ordinal) && !text.Contains('\uFFFD', StringComparison.Ordinal))
            {
                string.Concat(tagger.Wakati(text).Select(w => w + " ")).Should().Be(expectedText, $"{golden} line {i + 1} through Wakati(string)");
                checkedStrings++;
            }
        }
        output.WriteLine($"{lines.Length} golden lines identical to mecab -Owakati -d {folder} ({checkedStrings} also through Wakati(string)).");
    }

    [MeCabFact(true, MeCabFixtures.Ipadic, "data/knbc/corpus2", "data/aozora/wagahaiwa_nekodearu.txt")]
    public void Ipadic_knbc_and_aozora_match_live_mecab() => CheckLive(MeCabFixtures.Ipadic);

    [MeCabFact(true, MeCabFixtures.Jumandic, "data/knbc/corpus2", "data/aozora/wagahaiwa_nekodearu.txt")]
    public void Jumandic_knbc_and_aozora_match_live_mecab() => CheckLive(MeCabFixtures.Jumandic);

    private void CheckLive(string folder)
    {
        var tagger = MeCabFixtures.Tagger(folder);
        var knbc = MeCabFixtures.KnbcSentences();
        knbc.Should().HaveCount(4186);
        var knbcLines = knbc.Select(Encoding.UTF8.GetBytes).ToList();
        var knbcSame = CompareWakati(tagger, folder, knbcLines, "KNBC");

        // Aozora lines reach 100 KB; mecab is given a buffer that holds them so that it does not split them.
        var aozora = MeCabFixtures.SplitLines(File.ReadAllBytes(SharedData.PathOf("data/aozora/wagahaiwa_nekodearu.txt")));
        var aozoraSame = CompareWakati(tagger, folder, aozora, "Aozora", "-b", (aozora.Max(l => l.Length) + 2).ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Features too: mecab's default output is surface TAB feature per morpheme, then EOS.
        var expected = Encoding.UTF8.GetString(MeCabFixtures.RunMecab(Concat(knbcLines), "-d", folder));
        var actual = new StringBuilder();
        foreach (var sentence in knbc)
        {
            foreach (var morpheme in tagger.Parse(sentence))
                actual.Append(morpheme.Surface).Append('\t').Append(morpheme.Feature).Append('\n');
            actual.Append("EOS\n");
        }
        var expectedLines = expected.Split('\n');
        var actualLines = actual.ToString().Split('\n');
        for (var i = 0; i < Math.Min(expectedLines.Length, actualLines.Length); i++)
            actualLines[i].Should().Be(expectedLines[i], $"line {i + 1} of mecab -d {folder}'s default output on KNBC");
        actualLines.Length.Should().Be(expectedLines.Length);
        output.WriteLine($"{folder}: KNBC {knbcSame}/{knbc.Count} sentences and Aozora {aozoraSame}/{aozora.Count} lines identical to mecab -Owakati; KNBC features identical ({actualLines.Length} lines).");
    }

    private static int CompareWakati(MeCabTagger tagger, string folder, List<byte[]> lines, string what, params string[] extra)
    {
        var expected = MeCabFixtures.SplitLines(MeCabFixtures.RunMecab(Concat(lines), ["-Owakati", "-d", folder, .. extra]));
        expected.Should().HaveCount(lines.Count, $"mecab prints one line per {what} line");
        var same = 0;
        var actual = new List<byte>();
        for (var i = 0; i < lines.Count; i++)
        {
            actual.Clear();
            MeCabFixtures.AppendWakati(tagger, lines[i], actual);
            actual.RemoveAt(actual.Count - 1);
            Encoding.UTF8.GetString([.. actual]).Should().Be(Encoding.UTF8.GetString(expected[i]), $"{what} line {i + 1}");
            actual.Should().Equal(expected[i], $"{what} line {i + 1} byte for byte");
            same++;
        }
        return same;
    }

    private static byte[] Concat(List<byte[]> lines)
    {
        var all = new MemoryStream();
        foreach (var line in lines)
        {
            all.Write(line);
            all.WriteByte((byte)'\n');
        }
        return all.ToArray();
    }

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Parse_gives_ipadic_features_and_marks_unknown_words()
    {
        var morphemes = MeCabFixtures.Tagger(MeCabFixtures.Ipadic).Parse("猫がﾎﾟﾌﾟｺｰﾝ");
        morphemes.Select(m => m.Surface).Should().Equal("猫", "が", "ﾎﾟﾌﾟｺｰﾝ");
        morphemes[0].Feature.Should().Be("名詞,一般,*,*,*,*,猫,ネコ,ネコ");
        morphemes[0].IsUnknown.Should().BeFalse();
        morphemes[2].IsUnknown.Should().BeTrue();
        morphemes[2].Feature.Should().StartWith("名詞,");
    }

    [MeCabFact(false, MeCabFixtures.Ipadic)]
    public void Text_ends_at_the_first_nul_as_in_mecab()
    {
        var tagger = MeCabFixtures.Tagger(MeCabFixtures.Ipadic);
        tagger.Wakati("猫が\0犬").Should().Equal(tagger.Wakati("猫が"));
        tagger.Wakati("").Should().BeEmpty();
        tagger.Wakati("   ").Should().BeEmpty();
    }

    [MeCabFact(false, MeCabFixtures.Ipadic, "data/knbc/corpus2")]
    public void Many_threads_get_the_same_words_as_one()
    {
        var tagger = MeCabFixtures.Tagger(MeCabFixtures.Ipadic);
        var sentences = MeCabFixtures.KnbcSentences();
        var expected = sentences.Select(s => string.Join(' ', tagger.Wakati(s))).ToArray();
        var actual = new string[sentences.Count * 4];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => actual[i] = string.Join(' ', tagger.Wakati(sentences[i % sentences.Count])));
        for (var i = 0; i < actual.Length; i++)
            actual[i].Should().Be(expected[i % sentences.Count]);
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        FluentActions.Invoking(() => new MeCabTagger(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => MeCabTagger.Load("")).Should().Throw<ArgumentException>();
    }
}
