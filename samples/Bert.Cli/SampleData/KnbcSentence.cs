namespace Bert.Cli.SampleData;

/// <summary>One sentence of the KNB corpus.</summary>
/// <param name="Id">The sentence id, e.g. <c>KN012_Gourmet_1-1-1-01</c>.</param>
/// <param name="Article">The article id: the part of the sentence id before the first '-', e.g. <c>KN012_Gourmet_1</c>.</param>
/// <param name="Text">The sentence.</param>
/// <param name="Topic">The topic from the file name: グルメ, 携帯電話, 京都 or スポーツ.</param>
/// <param name="IsTitle">True for the first sentence of an article, its title (<c>［グルメ］烏丸六角のおかき屋さん</c>), which names the topic.</param>
/// <param name="Annotations">
/// Columns 3 to 6 of the file (evaluative annotations: holder, expression, type such as <c>批評＋</c> or <c>メリット＋</c>,
/// target), empty strings where absent; several annotations in one cell are separated by newlines.
/// </param>
internal sealed record KnbcSentence(string Id, string Article, string Text, string Topic, bool IsTitle, IReadOnlyList<string> Annotations)
{
    /// <summary>The evaluation types of the sentence (column 5, e.g. <c>批評＋</c>), distinct, in order; empty when it has none.</summary>
    public IReadOnlyList<string> EvaluationTypes =>
        Annotations.Count > 2 ? Annotations[2].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray() : [];
}
