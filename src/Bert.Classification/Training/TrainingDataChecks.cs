using Bert.Classification.Data;

namespace Bert.Classification.Training;

/// <summary>
/// Checks of labels and examples before training, each failing with an <see cref="ArgumentException"/> that names
/// what is wrong; softer findings are returned as warnings.
/// </summary>
internal static class TrainingDataChecks
{
    /// <summary>Label names: none empty, none repeated, no two equal but for case or white space.</summary>
    public static void CheckLabelNames(IReadOnlyList<string> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(labels[i]))
                throw new ArgumentException($"Label {i} is empty or white space; every label needs a name.", nameof(labels));
        }
        foreach (var group in labels.GroupBy(Normalized, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var names = group.Select(l => "'" + l + "'").ToArray();
            throw new ArgumentException(group.Distinct(StringComparer.Ordinal).Count() == 1
                ? $"The label {names[0]} is listed {names.Length} times; labels must be unique."
                : $"The labels {string.Join(", ", names)} differ only by case or white space; fix the data so that each class has one spelling.", nameof(labels));
        }
    }

    /// <summary>Every example of <paramref name="problemType"/>, and either all pairs or all single texts.</summary>
    public static void CheckExamples(ProblemType problemType, IReadOnlyList<TextExample> examples, string parameter)
    {
        bool pairs = examples.Count > 0 && examples[0]?.Text2 is not null;
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i] ?? throw new ArgumentException($"Example {i} is null.", parameter);
            if (e.ProblemType != problemType)
                throw new ArgumentException($"Example {i} ({e.Id ?? e.Text}) is a {e.ProblemType} example but the model is {problemType}.", parameter);
            if ((e.Text2 is not null) != pairs)
                throw new ArgumentException($"Example {i} ({e.Id ?? e.Text}) {(pairs ? "has no second text" : "has a second text")} but example 0 {(pairs ? "is a pair" : "is not")}; pairs and single texts cannot be mixed.", parameter);
        }
    }

    /// <summary>The checks of <see cref="ClassificationTrainer.Train"/>; returns warnings.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<string> labels, ProblemType problemType, IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> validation)
    {
        CheckExamples(problemType, train, nameof(train));
        CheckExamples(problemType, validation, nameof(validation));
        if ((train[0].Text2 is null) != (validation[0].Text2 is null))
            throw new ArgumentException("The training examples " + (train[0].Text2 is null ? "are single texts" : "are pairs") + " but the validation examples are not.", nameof(validation));
        var warnings = new List<string>();
        if (problemType == ProblemType.Regression)
        {
            if (train.All(e => e.Value == train[0].Value))
                throw new ArgumentException($"Every training target is {train[0].Value}: a constant cannot be learned.", nameof(train));
            return warnings;
        }
        IEnumerable<string> Of(TextExample e) => e.Label is not null ? [e.Label] : e.Labels!;
        var trainLabels = train.SelectMany(Of).ToHashSet(StringComparer.Ordinal);
        var onlyInValidation = validation.SelectMany(Of).Where(l => !trainLabels.Contains(l)).Distinct(StringComparer.Ordinal).ToArray();
        if (onlyInValidation.Length > 0)
            throw new ArgumentException($"The label(s) {string.Join(", ", onlyInValidation.Select(l => "'" + l + "'"))} occur in the validation (test) set but in no training example: the model cannot learn them.", nameof(validation));
        if (problemType == ProblemType.SingleLabel && trainLabels.Count < 2)
            throw new ArgumentException($"Every training example has the label '{trainLabels.Single()}': one class cannot be learned.", nameof(train));
        if (problemType == ProblemType.MultiLabel && trainLabels.Count == 0)
            throw new ArgumentException("No training example has any label: nothing to learn.", nameof(train));
        var unused = labels.Where(l => !trainLabels.Contains(l)).ToArray();
        if (unused.Length > 0)
            warnings.Add($"The label(s) {string.Join(", ", unused)} have no training example; the model will rarely predict them.");
        var validationLabels = validation.SelectMany(Of).ToHashSet(StringComparer.Ordinal);
        var single = train.SelectMany(Of).GroupBy(l => l, StringComparer.Ordinal)
            .Where(g => g.Count() == 1 && !validationLabels.Contains(g.Key)).Select(g => "'" + g.Key + "'").ToArray();
        if (single.Length > 0)
            warnings.Add($"The label(s) {string.Join(", ", single)} occur in one training example only and in no validation (test) example: a typo, or too few to learn?");
        return warnings;
    }

    private static string Normalized(string label) => string.Concat(label.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();
}
