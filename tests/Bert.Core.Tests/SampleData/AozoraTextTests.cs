using Bert.Cli.SampleData;
using Bert.Tests;

namespace Bert.Core.Tests.SampleData;

public class AozoraTextTests
{
    [Theory]
    [InlineData("吾輩《わがはい》は猫である", "吾輩は猫である")]
    [InlineData("一番｜獰悪《どうあく》な種族であった", "一番獰悪な種族であった")]
    [InlineData("※［＃「言＋墟のつくり」、第4水準2-88-74］が", "が")]
    [InlineData("［＃８字下げ］一［＃「一」は中見出し］", "一")]
    [InlineData("見出したからと云って", "見出したからと云って")]
    public void Markup_is_removed_and_text_kept(string line, string expected) =>
        AozoraText.StripMarkup(line).Should().Be(expected);

    [Fact]
    public void Paragraphs_split_after_sentence_ends_outside_brackets()
    {
        AozoraText.SplitSentences("吾輩は猫である。名前はまだ無い。本当か！？そうだ")
            .Should().Equal("吾輩は猫である。", "名前はまだ無い。", "本当か！？", "そうだ");
        AozoraText.SplitSentences("「もうよそう。勝手にするがいい」と、抵抗しない事にした。次。")
            .Should().Equal("「もうよそう。勝手にするがいい」と、抵抗しない事にした。", "次。");
    }

    [Fact]
    public void Chapters_become_documents_without_header_and_colophon()
    {
        const string text = "題\n著者\n-------------------------------------------------------\n【テキスト中に現れる記号について】\n《》：ルビ\n" +
            "-------------------------------------------------------\n［＃８字下げ］一［＃「一」は中見出し］\n　吾輩《わがはい》は猫である。名前はまだ無い。\n" +
            "［＃８字下げ］二［＃「二」は中見出し］\n　二章。\n「台詞《せりふ》」\n底本：「全集」\n入力：某\n";
        var corpus = AozoraText.ToCorpus(text);
        corpus.Documents.Should().HaveCount(2);
        corpus.Documents[0].Should().Equal("吾輩は猫である。", "名前はまだ無い。");
        corpus.Documents[1].Should().Equal("二章。", "「台詞」");
    }

    [SharedFact("data/aozora/wagahaiwa_nekodearu.txt")]
    public void Wagahai_wa_neko_de_aru_gives_eleven_clean_chapters()
    {
        var corpus = AozoraText.Load(SharedData.PathOf("data/aozora/wagahaiwa_nekodearu.txt"));
        corpus.Documents.Should().HaveCount(11, "the novel has eleven chapters (［＃「一」は中見出し］ ... 十一)");
        corpus.Documents[0][0].Should().Be("吾輩は猫である。");
        corpus.Documents[0][1].Should().Be("名前はまだ無い。");
        corpus.Documents[^1][^1].Should().Be("ありがたいありがたい。");
        var all = corpus.Documents.SelectMany(d => d).ToList();
        all.Should().NotContain(s => s.Contains('《') || s.Contains('》') || s.Contains('｜') || s.Contains("［＃") || s.Contains("底本") || s.Contains("ルビ"));
        corpus.SentenceCount.Should().BeGreaterThan(5000);
    }
}
