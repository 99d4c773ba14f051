namespace Bert.Classification.Data;

/// <summary>
/// One training or test example: a text, an optional second text (sentence pairs) and a typed target, which is
/// exactly one of a label (<see cref="ProblemType.SingleLabel"/>), a set of labels (<see cref="ProblemType.MultiLabel"/>)
/// or a number (<see cref="ProblemType.Regression"/>). Every reader returns it and every split and trainer consumes it.
/// </summary>
/// <example>
/// <code>
/// new TextExample("京都の紅葉がきれい", "京都");                               // single-label
/// new TextExample("安くて美味しい", new[] { "グルメ", "メリット＋" });           // multi-label
/// new TextExample("A man is playing a guitar.", 3.8) { Text2 = "A man plays." }; // regression on a pair
/// </code>
/// </example>
public sealed record TextExample
{
    private readonly string[]? labels;

    /// <summary>A single-label example.</summary>
    /// <param name="text">The text.</param>
    /// <param name="label">Its label, e.g. <c>グルメ</c>; not empty.</param>
    /// <exception cref="ArgumentException">The label is null or empty.</exception>
    public TextExample(string text, string label)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(label);
        Text = text;
        Label = label;
        ProblemType = ProblemType.SingleLabel;
    }

    /// <summary>A multi-label example: any number of labels, none included.</summary>
    /// <param name="text">The text.</param>
    /// <param name="labels">Its labels; each non-empty, no repeats. The order is kept.</param>
    /// <exception cref="ArgumentException">A label is null or empty, or repeats.</exception>
    public TextExample(string text, IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(labels);
        var list = labels.ToArray();
        if (list.Any(string.IsNullOrEmpty))
            throw new ArgumentException("A label of a multi-label example is null or empty.", nameof(labels));
        if (list.Distinct(StringComparer.Ordinal).Count() != list.Length)
            throw new ArgumentException($"The labels {string.Join("|", list)} repeat a label.", nameof(labels));
        Text = text;
        this.labels = list;
        ProblemType = ProblemType.MultiLabel;
    }

    /// <summary>A regression example.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">Its target value; finite.</param>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    public TextExample(string text, double value)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!double.IsFinite(value))
            throw new ArgumentException($"The target value must be a finite number; it is {value}.", nameof(value));
        Text = text;
        Value = value;
        ProblemType = ProblemType.Regression;
    }

    /// <summary>The text (the first text of a pair).</summary>
    public string Text { get; init; }

    /// <summary>The second text of a sentence pair, encoded <c>[CLS] Text [SEP] Text2 [SEP]</c>; null for single texts.</summary>
    public string? Text2 { get; init; }

    /// <summary>Which of <see cref="Label"/>, <see cref="Labels"/> and <see cref="Value"/> holds the target.</summary>
    public ProblemType ProblemType { get; }

    /// <summary>The label of a single-label example; null otherwise.</summary>
    public string? Label { get; }

    /// <summary>The labels of a multi-label example (possibly none); null otherwise.</summary>
    public IReadOnlyList<string>? Labels => labels;

    /// <summary>The target of a regression example; null otherwise.</summary>
    public double? Value { get; }

    /// <summary>An optional identifier, e.g. a sentence id; null when the source has none.</summary>
    public string? Id { get; init; }

    /// <summary>
    /// An optional group the example belongs to, e.g. the article a sentence comes from.
    /// <see cref="DataSplit.ByGroup"/> keeps each group on one side of a split.
    /// </summary>
    public string? GroupId { get; init; }

    /// <summary>The target as written in a labels file: the label, the labels joined by <paramref name="separator"/>, or the value (round-trip, invariant culture).</summary>
    /// <param name="separator">The multi-label separator. Default '|'.</param>
    public string FormatTarget(char separator = '|') => ProblemType switch
    {
        ProblemType.SingleLabel => Label!,
        ProblemType.MultiLabel => string.Join(separator, labels!),
        _ => Value!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <inheritdoc />
    public bool Equals(TextExample? other) =>
        other is not null && Text == other.Text && Text2 == other.Text2 && ProblemType == other.ProblemType && Label == other.Label
        && Value == other.Value && Id == other.Id && GroupId == other.GroupId
        && (labels is null ? other.labels is null : other.labels is not null && labels.SequenceEqual(other.labels, StringComparer.Ordinal));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Text, Text2, ProblemType, Label, Value, Id, GroupId, labels?.Length);
}
