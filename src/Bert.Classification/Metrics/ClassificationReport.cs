using Bert.Core;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bert.Classification.Data;
using MathNet.Numerics.Statistics;

namespace Bert.Classification.Metrics;

/// <summary>
/// Per-class precision, recall, F1 and support, accuracy, macro and weighted averages and the confusion matrix of
/// predictions against true labels, with the numbers and text layout of scikit-learn's <c>classification_report</c>
/// (tested against scikit-learn 1.2 goldens), plus bootstrap confidence intervals.
/// </summary>
/// <remarks>
/// <para><b>Labels.</b> Without <c>labels</c> the classes are the union of true and predicted labels sorted by code point
/// (as numpy sorts them for scikit-learn). With <c>labels</c> the rows follow that order; as in scikit-learn, samples
/// whose true label is not listed are left out of the rows and averages (they still count in <see cref="Accuracy"/>),
/// a prediction of an unlisted label counts as wrong (a miss for the true class, a false positive for no listed class),
/// and when the listed labels differ from the observed ones the report shows a "micro avg" row
/// (<see cref="MicroAvg"/>) instead of "accuracy".</para>
/// <para><b>Zero division.</b> As scikit-learn's default (<c>zero_division="warn"</c>): precision of a class never predicted,
/// recall of a class with no true samples and F1 when both are 0 are 0.0, and <see cref="Warnings"/> says which.</para>
/// <para><b>Invalid input</b> (<see cref="ArgumentException"/>): empty or different-length lists, null or empty labels,
/// repeated labels in <c>labels</c>, and a label set of fewer than two classes (a report of one class is meaningless).</para>
/// <para><b>Text.</b> Columns are aligned by terminal display width (<see cref="DisplayWidth"/>), so Japanese labels
/// line up; for ASCII labels the text equals scikit-learn's character for character (scikit-learn pads by code points,
/// so its own Japanese rows are misaligned). Decimals are rounded as Python does (ties to even).</para>
/// </remarks>
public sealed class ClassificationReport
{
    private const string LongestHeading = "weighted avg";
    private static readonly string[] Headers = ["precision", "recall", "f1-score", "support"];

    private readonly string[] _labels;
    private readonly int[] _true;
    private readonly int[] _pred;
    private readonly bool[] _correct;
    private readonly int[][] _matrix;

    private ClassificationReport(string[] labels, int[] yTrue, int[] yPred, bool[] correct, bool microIsAccuracy)
    {
        _labels = labels;
        _true = yTrue;
        _pred = yPred;
        _correct = correct;
        _matrix = labels.Select(_ => new int[labels.Length]).ToArray();
        for (var i = 0; i < yTrue.Length; i++)
        {
            if (yTrue[i] >= 0 && yPred[i] >= 0)
                _matrix[yTrue[i]][yPred[i]]++;
        }
        var counts = Count(null);
        var warnings = new List<string>();
        var classes = new ClassMetrics[labels.Length];
        for (var c = 0; c < labels.Length; c++)
        {
            var (p, r, f) = Scores(counts.Tp[c], counts.Pred[c], counts.True[c]);
            classes[c] = new ClassMetrics(labels[c], p, r, f, counts.True[c]);
        }
        Classes = classes;
        var noPredicted = labels.Where((_, c) => counts.Pred[c] == 0).ToList();
        var noTrue = labels.Where((_, c) => counts.True[c] == 0).ToList();
        if (noPredicted.Count > 0)
            warnings.Add($"Precision and F-score are ill-defined and being set to 0.0 in labels with no predicted samples: {string.Join(", ", noPredicted)}.");
        if (noTrue.Count > 0)
            warnings.Add($"Recall and F-score are ill-defined and being set to 0.0 in labels with no true samples: {string.Join(", ", noTrue)}.");
        Warnings = warnings;

        SampleCount = yTrue.Length;
        Accuracy = (double)correct.Count(x => x) / yTrue.Length;
        var support = counts.True.Sum();
        MacroAvg = new AverageMetrics(classes.Average(m => m.Precision), classes.Average(m => m.Recall), classes.Average(m => m.F1), support);
        WeightedAvg = new AverageMetrics(Weighted(classes.Select(m => m.Precision), counts.True), Weighted(classes.Select(m => m.Recall), counts.True),
            Weighted(classes.Select(m => m.F1), counts.True), support);
        var (mp, mr, mf) = Scores(counts.Tp.Sum(), counts.Pred.Sum(), support);
        MicroIsAccuracy = microIsAccuracy;
        MicroAvg = microIsAccuracy ? null : new AverageMetrics(mp, mr, mf, support);
        ReportedAccuracy = microIsAccuracy ? mf : null;
    }

    /// <summary>The classes in report order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>One row per class, in <see cref="Labels"/> order.</summary>
    public IReadOnlyList<ClassMetrics> Classes { get; }

    /// <summary>The row of <paramref name="label"/>.</summary>
    /// <param name="label">A label of <see cref="Labels"/>.</param>
    /// <exception cref="KeyNotFoundException">The label is not in the report.</exception>
    public ClassMetrics this[string label] =>
        Classes.FirstOrDefault(c => c.Label == label) ?? throw new KeyNotFoundException($"Label '{label}' is not in the report (labels: {string.Join(", ", _labels)}).");

    /// <summary>The number of samples (all of them, including any whose labels are not in <see cref="Labels"/>).</summary>
    public int SampleCount { get; }

    /// <summary>The fraction of samples whose prediction equals the true label (scikit-learn's <c>accuracy_score</c>).</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean of the per-class rows.</summary>
    public AverageMetrics MacroAvg { get; }

    /// <summary>Mean of the per-class rows weighted by support.</summary>
    public AverageMetrics WeightedAvg { get; }

    /// <summary>
    /// The micro average over <see cref="Labels"/> when the report shows a "micro avg" row (labels were given and differ
    /// from the observed labels); null when it shows "accuracy" instead (then micro precision = recall = F1 = accuracy).
    /// </summary>
    public AverageMetrics? MicroAvg { get; }

    /// <summary>True when the report's first average row is "accuracy" (scikit-learn's <c>micro_is_accuracy</c>).</summary>
    public bool MicroIsAccuracy { get; }

    /// <summary>The value on the "accuracy" row (scikit-learn's <c>report["accuracy"]</c>), null when the row is "micro avg".</summary>
    public double? ReportedAccuracy { get; }

    /// <summary>Counts of samples by true class (rows) and predicted class (columns), in <see cref="Labels"/> order; samples with a label outside <see cref="Labels"/> are not counted.</summary>
    public IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix => _matrix.Select(r => (IReadOnlyList<int>)Array.AsReadOnly(r)).ToArray();

    /// <summary>The equivalents of scikit-learn's <c>UndefinedMetricWarning</c>s: which scores were set to 0.0 by zero division.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Builds the report from label strings.</summary>
    /// <param name="yTrue">The true labels.</param>
    /// <param name="yPred">The predicted labels, same length and order.</param>
    /// <param name="labels">The classes to report, in order; null: the sorted union of <paramref name="yTrue"/> and <paramref name="yPred"/>.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">Empty or different-length lists, null or empty labels, repeated entries in <paramref name="labels"/>, fewer than two classes.</exception>
    public static ClassificationReport Create(IReadOnlyList<string> yTrue, IReadOnlyList<string> yPred, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Count == 0)
            throw new ArgumentException("yTrue is empty; a classification report needs at least one sample.", nameof(yTrue));
        if (yTrue.Count != yPred.Count)
            throw new ArgumentException($"yTrue has {yTrue.Count} labels but yPred has {yPred.Count}; they must match sample for sample.", nameof(yPred));
        for (var i = 0; i < yTrue.Count; i++)
        {
            if (string.IsNullOrEmpty(yTrue[i]))
                throw new ArgumentException($"yTrue[{i}] is null or empty.", nameof(yTrue));
            if (string.IsNullOrEmpty(yPred[i]))
                throw new ArgumentException($"yPred[{i}] is null or empty.", nameof(yPred));
        }
        var observed = new HashSet<string>(yTrue.Concat(yPred), StringComparer.Ordinal);
        string[] classes;
        if (labels is null)
        {
            classes = observed.Order(CodePointComparer.Instance).ToArray();
            if (classes.Length < 2)
                throw new ArgumentException($"All true and predicted labels are '{classes[0]}'; a classification report needs at least two classes (pass labels to name the others).", nameof(yTrue));
        }
        else
        {
            classes = CheckLabels(labels);
        }
        var index = classes.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var t = yTrue.Select(l => index.GetValueOrDefault(l, -1)).ToArray();
        var p = yPred.Select(l => index.GetValueOrDefault(l, -1)).ToArray();
        var correct = yTrue.Select((l, i) => string.Equals(l, yPred[i], StringComparison.Ordinal)).ToArray();
        var microIsAccuracy = labels is null || observed.SetEquals(classes);
        return new ClassificationReport(classes, t, p, correct, microIsAccuracy);
    }

    /// <summary>Builds the report from class indices into <paramref name="labelNames"/> (scikit-learn: <c>labels=range(n), target_names=names</c>).</summary>
    /// <param name="yTrue">The true class indices.</param>
    /// <param name="yPred">The predicted class indices, same length and order.</param>
    /// <param name="labelNames">The class names; index i names class i.</param>
    /// <returns>The report, with rows in <paramref name="labelNames"/> order.</returns>
    /// <exception cref="ArgumentException">Empty or different-length lists, repeated or empty names, fewer than two names.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index outside [0, names).</exception>
    public static ClassificationReport Create(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        var names = CheckLabels(labelNames);
        string Name(IReadOnlyList<int> list, int i, string parameter) => list[i] >= 0 && list[i] < names.Length
            ? names[list[i]]
            : throw new ArgumentOutOfRangeException(parameter, list[i], $"{parameter}[{i}] = {list[i]} is not a class index in [0, {names.Length}).");
        var t = Enumerable.Range(0, yTrue.Count).Select(i => Name(yTrue, i, nameof(yTrue))).ToArray();
        var p = Enumerable.Range(0, yPred.Count).Select(i => Name(yPred, i, nameof(yPred))).ToArray();
        return Create(t, p, names);
    }

    /// <summary>The report in scikit-learn's text layout with 2 decimals.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Format();

    /// <summary>The report in scikit-learn's <c>classification_report</c> text layout.</summary>
    /// <param name="digits">Decimals of the scores (scikit-learn's <c>digits</c>), 0 to 15.</param>
    /// <returns>The text, ending with a newline.</returns>
    public string Format(int digits = 2)
    {
        var (text, width) = StartText(_labels, digits);
        foreach (var row in Classes)
            AppendRow(text, row.Label, row.Precision, row.Recall, row.F1, row.Support, width, digits);
        text.Append('\n');
        if (MicroIsAccuracy)
        {
            text.Append(DisplayWidth.PadLeft("accuracy", width)).Append(' ')
                .Append(' ').Append(new string(' ', 9)).Append(' ').Append(new string(' ', 9))
                .Append(' ').Append(PythonFormat.Fixed(ReportedAccuracy!.Value, digits).PadLeft(9))
                .Append(' ').Append(MacroAvg.Support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        }
        else
        {
            AppendRow(text, "micro avg", MicroAvg!.Precision, MicroAvg.Recall, MicroAvg.F1, MicroAvg.Support, width, digits);
        }
        AppendRow(text, "macro avg", MacroAvg.Precision, MacroAvg.Recall, MacroAvg.F1, MacroAvg.Support, width, digits);
        AppendRow(text, "weighted avg", WeightedAvg.Precision, WeightedAvg.Recall, WeightedAvg.F1, WeightedAvg.Support, width, digits);
        return text.ToString();
    }

    /// <summary>
    /// The report as JSON in the shape of scikit-learn's <c>classification_report(..., output_dict=True)</c>: one object
    /// per label with <c>precision</c>, <c>recall</c>, <c>f1-score</c>, <c>support</c>, then <c>accuracy</c> (a number) or
    /// <c>micro avg</c>, then <c>macro avg</c> and <c>weighted avg</c>. Doubles are written round-trip exact; non-ASCII
    /// labels are written as is (UTF-8), not escaped.
    /// </summary>
    /// <param name="indented">Indent the JSON.</param>
    /// <returns>The JSON text.</returns>
    public string ToJson(bool indented = true)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            foreach (var row in Classes)
                WriteRow(json, row.Label, row.Precision, row.Recall, row.F1, row.Support);
            if (MicroIsAccuracy)
                json.WriteNumber("accuracy", ReportedAccuracy!.Value);
            else
                WriteRow(json, "micro avg", MicroAvg!.Precision, MicroAvg.Recall, MicroAvg.F1, MicroAvg.Support);
            WriteRow(json, "macro avg", MacroAvg.Precision, MacroAvg.Recall, MacroAvg.F1, MacroAvg.Support);
            WriteRow(json, "weighted avg", WeightedAvg.Precision, WeightedAvg.Recall, WeightedAvg.F1, WeightedAvg.Support);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// The confusion matrix as aligned text: a header row of predicted labels, then one row per true label; every
    /// column right-aligned by display width.
    /// </summary>
    /// <returns>The text, ending with a newline.</returns>
    public string FormatConfusionMatrix()
    {
        const string corner = "true \\ predicted";
        var first = Math.Max(DisplayWidth.Of(corner), _labels.Max(DisplayWidth.Of));
        var widths = _labels.Select((l, j) => Math.Max(DisplayWidth.Of(l), _matrix.Max(r => r[j]).ToString(CultureInfo.InvariantCulture).Length)).ToArray();
        var text = new StringBuilder();
        text.Append(DisplayWidth.PadRight(corner, first));
        for (var j = 0; j < _labels.Length; j++)
            text.Append("  ").Append(DisplayWidth.PadLeft(_labels[j], widths[j]));
        text.Append('\n');
        for (var i = 0; i < _labels.Length; i++)
        {
            text.Append(DisplayWidth.PadLeft(_labels[i], first));
            for (var j = 0; j < _labels.Length; j++)
                text.Append("  ").Append(_matrix[i][j].ToString(CultureInfo.InvariantCulture).PadLeft(widths[j]));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// A percentile bootstrap confidence interval of a metric: the samples are resampled with replacement
    /// <paramref name="resamples"/> times (seeded <see cref="Pcg64"/>), the metric recomputed over this report's labels,
    /// and the (1 − confidence)/2 and (1 + confidence)/2 quantiles taken (MathNet.Numerics, R-7 = numpy's default).
    /// </summary>
    /// <param name="metric">The metric.</param>
    /// <param name="resamples">The number of bootstrap resamples, at least 100 (default 2000).</param>
    /// <param name="confidence">The coverage, in (0, 1) (default 0.95).</param>
    /// <param name="seed">The seed; equal seeds give equal intervals.</param>
    /// <returns>The lower and upper bounds.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="resamples"/> below 100 or <paramref name="confidence"/> outside (0, 1).</exception>
    public (double Lower, double Upper) BootstrapConfidenceInterval(ReportMetric metric, int resamples = 2000, double confidence = 0.95, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 100);
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence must be in (0, 1), e.g. 0.95.");
        if (!Enum.IsDefined(metric))
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        var rng = new Pcg64(seed);
        var n = _true.Length;
        var sample = new int[n];
        var values = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            for (var k = 0; k < n; k++)
                sample[k] = rng.NextInt(n);
            values[r] = Evaluate(metric, sample);
        }
        Array.Sort(values);
        var alpha = 1 - confidence;
        return (SortedArrayStatistics.QuantileCustom(values, alpha / 2, QuantileDefinition.R7),
                SortedArrayStatistics.QuantileCustom(values, 1 - alpha / 2, QuantileDefinition.R7));
    }

    /// <summary>A bootstrap confidence interval computed from labels (see the instance method).</summary>
    /// <param name="yTrue">The true labels.</param>
    /// <param name="yPred">The predicted labels.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="labels">The classes (as in <see cref="Create(IReadOnlyList{string}, IReadOnlyList{string}, IReadOnlyList{string}?)"/>).</param>
    /// <param name="resamples">The number of resamples, at least 100.</param>
    /// <param name="confidence">The coverage, in (0, 1).</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The lower and upper bounds.</returns>
    public static (double Lower, double Upper) BootstrapConfidenceInterval(IReadOnlyList<string> yTrue, IReadOnlyList<string> yPred, ReportMetric metric,
        IReadOnlyList<string>? labels = null, int resamples = 2000, double confidence = 0.95, int seed = 0) =>
        Create(yTrue, yPred, labels).BootstrapConfidenceInterval(metric, resamples, confidence, seed);

    /// <summary>
    /// The value of a metric on this report's samples (<see cref="Accuracy"/>, <see cref="MacroAvg"/>.F1 or
    /// <see cref="WeightedAvg"/>.F1).
    /// </summary>
    /// <param name="metric">The metric.</param>
    /// <returns>The value.</returns>
    public double Value(ReportMetric metric) => metric switch
    {
        ReportMetric.Accuracy => Accuracy,
        ReportMetric.MacroF1 => MacroAvg.F1,
        ReportMetric.WeightedF1 => WeightedAvg.F1,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    /// <summary>
    /// Accuracy and weighted F1 with their 95% bootstrap intervals, e.g.
    /// <c>accuracy 0.79 [0.75, 0.83], weighted F1 0.79 [0.75, 0.83] (95% percentile bootstrap, 2000 resamples, n = 419)</c>.
    /// </summary>
    /// <param name="digits">Decimals.</param>
    /// <param name="resamples">Bootstrap resamples, at least 100.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>One line of text, ending with a newline.</returns>
    public string FormatUncertainty(int digits = 2, int resamples = 2000, int seed = 0)
    {
        var (al, au) = BootstrapConfidenceInterval(ReportMetric.Accuracy, resamples, 0.95, seed);
        var (fl, fu) = BootstrapConfidenceInterval(ReportMetric.WeightedF1, resamples, 0.95, seed);
        string F(double v) => PythonFormat.Fixed(v, digits);
        return $"accuracy {F(Accuracy)} [{F(al)}, {F(au)}], weighted F1 {F(WeightedAvg.F1)} [{F(fl)}, {F(fu)}] " +
               $"(95% percentile bootstrap, {resamples} resamples, n = {SampleCount})\n";
    }

    private double Evaluate(ReportMetric metric, int[] sample)
    {
        if (metric == ReportMetric.Accuracy)
        {
            var right = 0;
            foreach (var k in sample)
            {
                if (_correct[k])
                    right++;
            }
            return (double)right / sample.Length;
        }
        var counts = Count(sample);
        double sum = 0, weights = 0;
        for (var c = 0; c < _labels.Length; c++)
        {
            var f1 = Scores(counts.Tp[c], counts.Pred[c], counts.True[c]).F1;
            sum += metric == ReportMetric.MacroF1 ? f1 : f1 * counts.True[c];
            weights += metric == ReportMetric.MacroF1 ? 1 : counts.True[c];
        }
        return weights == 0 ? 0 : sum / weights;
    }

    private (int[] Tp, int[] Pred, int[] True) Count(int[]? sample)
    {
        var tp = new int[_labels.Length];
        var pred = new int[_labels.Length];
        var truth = new int[_labels.Length];
        var n = sample?.Length ?? _true.Length;
        for (var s = 0; s < n; s++)
        {
            var k = sample is null ? s : sample[s];
            var t = _true[k];
            var p = _pred[k];
            if (t >= 0)
                truth[t]++;
            if (p >= 0)
                pred[p]++;
            if (t >= 0 && t == p)
                tp[t]++;
        }
        return (tp, pred, truth);
    }

    internal static (double Precision, double Recall, double F1) Scores(int tp, int predicted, int actual)
    {
        var precision = predicted == 0 ? 0.0 : (double)tp / predicted;
        var recall = actual == 0 ? 0.0 : (double)tp / actual;
        var denominator = precision + recall;
        var f1 = denominator == 0 ? 0.0 : 2 * precision * recall / denominator;
        return (precision, recall, f1);
    }

    internal static double Weighted(IEnumerable<double> values, int[] weights)
    {
        var total = weights.Sum();
        if (total == 0)
            return 0.0;
        return values.Select((v, i) => v * weights[i]).Sum() / total;
    }

    private static void WriteRow(Utf8JsonWriter json, string name, double precision, double recall, double f1, int support)
    {
        json.WriteStartObject(name);
        json.WriteNumber("precision", precision);
        json.WriteNumber("recall", recall);
        json.WriteNumber("f1-score", f1);
        json.WriteNumber("support", support);
        json.WriteEndObject();
    }

    /// <summary>Checks <paramref name="digits"/>, measures the label column and writes the header line of the report text.</summary>
    internal static (StringBuilder Text, int Width) StartText(IEnumerable<string> labels, int digits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, 15);
        var width = Math.Max(Math.Max(labels.Max(DisplayWidth.Of), LongestHeading.Length), digits);
        var text = new StringBuilder();
        text.Append(DisplayWidth.PadLeft("", width)).Append(' ');
        foreach (var header in Headers)
            text.Append(' ').Append(header.PadLeft(9));
        text.Append("\n\n");
        return (text, width);
    }

    internal static void AppendRow(StringBuilder text, string name, double precision, double recall, double f1, int support, int width, int digits)
    {
        text.Append(DisplayWidth.PadLeft(name, width)).Append(' ');
        text.Append(' ').Append(PythonFormat.Fixed(precision, digits).PadLeft(9));
        text.Append(' ').Append(PythonFormat.Fixed(recall, digits).PadLeft(9));
        text.Append(' ').Append(PythonFormat.Fixed(f1, digits).PadLeft(9));
        text.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }

    internal static string[] CheckLabels(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrEmpty(labels[i]))
                throw new ArgumentException($"labels[{i}] is null or empty.", nameof(labels));
            if (!seen.Add(labels[i]))
                throw new ArgumentException($"labels[{i}] = '{labels[i]}' is repeated; each class must be listed once.", nameof(labels));
        }
        if (labels.Count < 2)
            throw new ArgumentException($"labels has {labels.Count} class(es); a classification report needs at least two.", nameof(labels));
        return labels.ToArray();
    }
}
