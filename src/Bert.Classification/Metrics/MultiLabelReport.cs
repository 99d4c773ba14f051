using System.Globalization;

namespace Bert.Classification.Metrics;

/// <summary>
/// The report of multi-label predictions, as scikit-learn computes it on the label indicator matrix:
/// <c>classification_report</c> (per-label precision, recall, F1 and support; micro, macro, weighted and samples
/// averages), <c>accuracy_score</c> (subset accuracy: the predicted set equals the true set) and <c>hamming_loss</c>
/// (the share of wrong label decisions). Tested against scikit-learn 1.2 goldens.
/// </summary>
/// <remarks>
/// Zero division as scikit-learn's default: a label never predicted has precision 0, a label never true recall 0, and
/// a sample with no predicted (true) labels has sample precision (recall) 0. Support of the average rows is the total
/// number of true labels.
/// </remarks>
public sealed class MultiLabelReport
{
    private MultiLabelReport(string[] labels, ClassMetrics[] classes, AverageMetrics micro, AverageMetrics macro, AverageMetrics weighted,
        AverageMetrics samples, double subsetAccuracy, double hammingLoss, int sampleCount)
    {
        Labels = labels;
        Classes = classes;
        MicroAvg = micro;
        MacroAvg = macro;
        WeightedAvg = weighted;
        SamplesAvg = samples;
        SubsetAccuracy = subsetAccuracy;
        HammingLoss = hammingLoss;
        SampleCount = sampleCount;
    }

    /// <summary>The labels in report order (the columns of the indicator matrix).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>One row per label, in <see cref="Labels"/> order.</summary>
    public IReadOnlyList<ClassMetrics> Classes { get; }

    /// <summary>Precision, recall and F1 of all label decisions pooled.</summary>
    public AverageMetrics MicroAvg { get; }

    /// <summary>Unweighted mean of the per-label rows.</summary>
    public AverageMetrics MacroAvg { get; }

    /// <summary>Mean of the per-label rows weighted by support.</summary>
    public AverageMetrics WeightedAvg { get; }

    /// <summary>Mean over samples of each sample's precision, recall and F1 of its label set.</summary>
    public AverageMetrics SamplesAvg { get; }

    /// <summary>The share of samples whose predicted label set equals the true one (scikit-learn's <c>accuracy_score</c>).</summary>
    public double SubsetAccuracy { get; }

    /// <summary>The share of (sample, label) decisions that are wrong (scikit-learn's <c>hamming_loss</c>).</summary>
    public double HammingLoss { get; }

    /// <summary>The number of samples.</summary>
    public int SampleCount { get; }

    /// <summary>Builds the report from label sets.</summary>
    /// <param name="yTrue">The true label set of each sample.</param>
    /// <param name="yPred">The predicted label set of each sample, same length and order.</param>
    /// <param name="labels">The labels, in report order (at least two, unique); every label of the sets must be one of them.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">Empty or different-length lists, a null set, a label not in <paramref name="labels"/>, bad <paramref name="labels"/>.</exception>
    public static MultiLabelReport Create(
        IReadOnlyList<IReadOnlyCollection<string>> yTrue, IReadOnlyList<IReadOnlyCollection<string>> yPred, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        var names = ClassificationReport.CheckLabels(labels);
        if (yTrue.Count == 0)
            throw new ArgumentException("yTrue is empty; a report needs at least one sample.", nameof(yTrue));
        if (yTrue.Count != yPred.Count)
            throw new ArgumentException($"yTrue has {yTrue.Count} label sets but yPred has {yPred.Count}; they must match sample for sample.", nameof(yPred));
        var index = names.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        bool[][] Indicators(IReadOnlyList<IReadOnlyCollection<string>> sets, string name) => sets.Select((set, s) =>
        {
            if (set is null) throw new ArgumentException($"{name}[{s}] is null.", name);
            var row = new bool[names.Length];
            foreach (var label in set)
                row[index.TryGetValue(label ?? "", out var k) ? k : throw new ArgumentException($"{name}[{s}] holds '{label}', which is not one of the labels {string.Join(", ", names)}.", name)] = true;
            return row;
        }).ToArray();
        var t = Indicators(yTrue, nameof(yTrue));
        var p = Indicators(yPred, nameof(yPred));
        int n = t.Length, k = names.Length;

        var tp = new int[k];
        var predicted = new int[k];
        var actual = new int[k];
        int wrong = 0, exact = 0;
        double sp = 0, sr = 0, sf = 0;
        for (int s = 0; s < n; s++)
        {
            int sampleTp = 0, samplePred = 0, sampleTrue = 0;
            bool same = true;
            for (int c = 0; c < k; c++)
            {
                if (t[s][c] && p[s][c]) { tp[c]++; sampleTp++; }
                if (p[s][c]) { predicted[c]++; samplePred++; }
                if (t[s][c]) { actual[c]++; sampleTrue++; }
                if (t[s][c] != p[s][c]) { wrong++; same = false; }
            }
            if (same) exact++;
            var (precision, recall, f1) = ClassificationReport.Scores(sampleTp, samplePred, sampleTrue);
            sp += precision;
            sr += recall;
            sf += f1;
        }
        var classes = names.Select((l, c) =>
        {
            var (precision, recall, f1) = ClassificationReport.Scores(tp[c], predicted[c], actual[c]);
            return new ClassMetrics(l, precision, recall, f1, actual[c]);
        }).ToArray();
        int support = actual.Sum();
        var (mp, mr, mf) = ClassificationReport.Scores(tp.Sum(), predicted.Sum(), support);
        var macro = new AverageMetrics(classes.Average(c => c.Precision), classes.Average(c => c.Recall), classes.Average(c => c.F1), support);
        var weighted = new AverageMetrics(ClassificationReport.Weighted(classes.Select(c => c.Precision), actual),
            ClassificationReport.Weighted(classes.Select(c => c.Recall), actual), ClassificationReport.Weighted(classes.Select(c => c.F1), actual), support);
        return new MultiLabelReport(names, classes, new AverageMetrics(mp, mr, mf, support), macro, weighted,
            new AverageMetrics(sp / n, sr / n, sf / n, support), (double)exact / n, (double)wrong / (n * k), n);
    }

    /// <summary>The report in scikit-learn's <c>classification_report</c> layout, then subset accuracy and Hamming loss.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Format();

    /// <summary>The report in scikit-learn's <c>classification_report</c> text layout (multi-label rows and the four averages), then subset accuracy and Hamming loss.</summary>
    /// <param name="digits">Decimals of the scores, 0 to 15.</param>
    /// <returns>The text, ending with a newline.</returns>
    public string Format(int digits = 2)
    {
        var (text, width) = ClassificationReport.StartText(Labels, digits);
        foreach (var row in Classes)
            ClassificationReport.AppendRow(text, row.Label, row.Precision, row.Recall, row.F1, row.Support, width, digits);
        text.Append('\n');
        foreach (var (name, row) in new[] { ("micro avg", MicroAvg), ("macro avg", MacroAvg), ("weighted avg", WeightedAvg), ("samples avg", SamplesAvg) })
            ClassificationReport.AppendRow(text, name, row.Precision, row.Recall, row.F1, row.Support, width, digits);
        text.Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"subset accuracy: {PythonFormat.Fixed(SubsetAccuracy, Math.Max(digits, 4))}\n");
        text.Append(CultureInfo.InvariantCulture, $"hamming loss: {PythonFormat.Fixed(HammingLoss, Math.Max(digits, 4))}\n");
        return text.ToString();
    }
}
