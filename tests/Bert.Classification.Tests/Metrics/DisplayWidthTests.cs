using Bert.Classification.Metrics;

namespace Bert.Classification.Tests.Metrics;

public sealed class DisplayWidthTests
{
    [Theory]
    [InlineData("weighted avg", 12)]
    [InlineData("グルメ", 6)]
    [InlineData("携帯電話", 8)]
    [InlineData("ｸﾞﾙﾒ", 4)] // halfwidth katakana (H) and halfwidth voiced mark: one column each
    [InlineData("［グルメ］", 10)] // fullwidth brackets (F)
    [InlineData("한국어", 6)] // Hangul syllables (W)
    [InlineData("e\u0301", 1)] // combining acute accent takes no column
    [InlineData("𠀋", 2)] // CJK Extension B, a surrogate pair in UTF-16
    [InlineData("😀", 2)]
    [InlineData("", 0)]
    public void Counts_east_asian_wide_and_fullwidth_characters_as_two_columns(string text, int expected)
    {
        DisplayWidth.Of(text).Should().Be(expected);
    }

    [Fact]
    public void Pads_by_display_width()
    {
        DisplayWidth.PadLeft("京都", 12).Should().Be(new string(' ', 8) + "京都");
        DisplayWidth.PadRight("京都", 6).Should().Be("京都  ");
        DisplayWidth.PadLeft("携帯電話", 4).Should().Be("携帯電話", "wider text is not cut");
    }
}
