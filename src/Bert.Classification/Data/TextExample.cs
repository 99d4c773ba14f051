namespace Bert.Classification.Data;

/// <summary>
/// One labelled text: the unit every reader returns and every split and trainer consumes.
/// </summary>
/// <param name="Text">The text to classify (a sentence for KNBC).</param>
/// <param name="Label">Its class label, e.g. <c>グルメ</c>.</param>
public sealed record TextExample(string Text, string Label)
{
    /// <summary>An optional identifier, e.g. the KNBC sentence id <c>KN012_Gourmet_1-1-1-01</c>; null when the source has none.</summary>
    public string? Id { get; init; }

    /// <summary>
    /// An optional group the example belongs to, e.g. the KNBC article id <c>KN012_Gourmet_1</c> (the part of the
    /// sentence id before the first '-'). <see cref="DataSplit.ByGroup"/> keeps each group on one side of a split.
    /// </summary>
    public string? GroupId { get; init; }

    /// <summary>
    /// True for the title of an article (KNBC: the first sentence of each article, e.g. <c>［グルメ］烏丸六角のおかき屋さん</c>),
    /// which names the topic and so makes classification easier than it is; see <see cref="DataSplit.WithoutTitles"/>.
    /// </summary>
    public bool IsTitle { get; init; }
}
